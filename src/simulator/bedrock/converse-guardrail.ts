import { z } from 'zod';
import type { SimChatRequest, SimChatResult } from '../sim-chat.ts';
import { countTokens } from '../text-generator.ts';
import { evaluateGuardrail, findGuardrail, type SimGuardrail } from './sim-guardrails.ts';

/** Converse's GuardrailConfiguration (ConverseStream's adds streamProcessingMode). */
export const guardrailConfigSchema = z.looseObject({
  guardrailIdentifier: z.string().min(1),
  guardrailVersion: z.string().min(1),
  trace: z.enum(['enabled', 'disabled', 'enabled_full']).optional(),
  streamProcessingMode: z.enum(['sync', 'async']).optional(),
});
export type GuardrailConfig = z.infer<typeof guardrailConfigSchema>;

/** Turns a model's result into what the guardrail lets through. */
export type ResultScreen = (result: SimChatResult) => SimChatResult;

function blockedResult(result: SimChatResult, message: string, trace: unknown): SimChatResult {
  return {
    blocks: [{ type: 'text', text: message }],
    stopReason: 'guardrail_intervened',
    stopSequence: undefined,
    inputTokens: result.inputTokens,
    outputTokens: countTokens(message),
    ...(trace === undefined ? {} : { trace }),
  };
}

/**
 * The screen a Converse `guardrailConfig` puts around the model: the user turns' text is assessed
 * as INPUT (a block answers with the guardrail's blocked input message, never the model's); the
 * answer's text as OUTPUT (a block replaces it with the blocked output message, PII to anonymize is
 * masked). Either gives `stopReason: guardrail_intervened`; `trace` adds the assessments.
 * Input PII set to ANONYMIZE is reported in the trace, not masked before the (simulated) model.
 * Returns an error message when the guardrail does not exist for the caller.
 */
export function converseGuardrailScreen(
  guardrails: readonly SimGuardrail[],
  config: GuardrailConfig,
  request: SimChatRequest,
  accountId: string,
  region: string,
): ResultScreen | string {
  const guardrail = findGuardrail(
    guardrails,
    config.guardrailIdentifier,
    config.guardrailVersion,
    accountId,
    region,
  );
  if (guardrail === undefined)
    return `The guardrail identifier or version provided in the request does not exist: ${config.guardrailIdentifier}:${config.guardrailVersion}.`;
  const tracing = config.trace === 'enabled' || config.trace === 'enabled_full';
  const inputTexts = request.messages
    .filter((message) => message.role === 'user')
    .flatMap((message) => message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])));
  const input = evaluateGuardrail(guardrail, 'INPUT', inputTexts);
  const inputAssessment = { [guardrail.id]: input.assessment };
  return (result) => {
    if (input.blocked) {
      const trace = tracing
        ? { guardrail: { inputAssessment, actionReason: 'Guardrail blocked the input.' } }
        : undefined;
      return blockedResult(result, guardrail.blocked_input_message, trace);
    }
    const texts = result.blocks.flatMap((block) => (block.type === 'text' ? [block.text] : []));
    const output = evaluateGuardrail(guardrail, 'OUTPUT', texts);
    const trace = {
      guardrail: {
        ...(output.action === 'GUARDRAIL_INTERVENED' ? { modelOutput: texts } : {}),
        inputAssessment,
        outputAssessments: { [guardrail.id]: [output.assessment] },
        ...(output.action === 'GUARDRAIL_INTERVENED'
          ? {
              actionReason: output.blocked ? 'Guardrail blocked the output.' : 'Guardrail masked the output.',
            }
          : {}),
      },
    };
    if (output.blocked)
      return blockedResult(result, guardrail.blocked_output_message, tracing ? trace : undefined);
    if (output.action === 'NONE') return tracing ? { ...result, trace } : result;
    let next = 0;
    const blocks = result.blocks.map((block) =>
      block.type === 'text' ? { type: 'text' as const, text: output.outputs[next++] ?? block.text } : block,
    );
    return {
      ...result,
      blocks,
      stopReason: 'guardrail_intervened',
      ...(tracing ? { trace } : {}),
    };
  };
}
