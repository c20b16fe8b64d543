import { z } from 'zod';
import { systemClock, type Clock } from '../../core/clock.ts';
import type { GuardrailFinding, GuardrailVerdict, RemoteGuardrail } from '../../core/remote-guardrail.ts';
import { badResponse } from '../../errors/upstream-errors.ts';
import { connectionTuning } from '../shared/upstream-pool.ts';
import { resolveBedrockAuth, type BedrockProviderSettings } from './bedrock-credentials.ts';
import { BedrockTransport } from './bedrock-transport.ts';

/**
 * Amazon Bedrock Guardrails' ApplyGuardrail (POST /guardrail/{id}/version/{version}/apply on the
 * Bedrock Runtime endpoint of the provider's region, SigV4 or API key like every Bedrock call): the
 * guardrail's assessment of some text, reduced to what the gateway acts on.
 */

const actionOf = z.looseObject({ action: z.string().optional() });
const assessmentSchema = z.looseObject({
  topicPolicy: z
    .looseObject({ topics: z.array(actionOf.extend({ name: z.string().optional() })).default([]) })
    .optional(),
  contentPolicy: z
    .looseObject({ filters: z.array(actionOf.extend({ type: z.string().optional() })).default([]) })
    .optional(),
  wordPolicy: z
    .looseObject({
      customWords: z.array(actionOf).default([]),
      managedWordLists: z.array(actionOf.extend({ type: z.string().optional() })).default([]),
    })
    .optional(),
  sensitiveInformationPolicy: z
    .looseObject({
      piiEntities: z.array(actionOf.extend({ type: z.string().optional() })).default([]),
      regexes: z.array(actionOf.extend({ name: z.string().optional() })).default([]),
    })
    .optional(),
});
const responseSchema = z.looseObject({
  action: z.enum(['GUARDRAIL_INTERVENED', 'NONE']),
  outputs: z.array(z.looseObject({ text: z.string().optional() })).default([]),
  assessments: z.array(assessmentSchema).default([]),
});

function findingAction(action: string | undefined): GuardrailFinding['action'] {
  if (action === 'BLOCKED') return 'blocked';
  if (action === 'ANONYMIZED') return 'masked';
  return 'detected';
}

function findingsOf(assessment: z.infer<typeof assessmentSchema>): GuardrailFinding[] {
  const found: GuardrailFinding[] = [];
  const add = (entity: string, action: string | undefined): void => {
    found.push({ entity, action: findingAction(action) });
  };
  for (const topic of assessment.topicPolicy?.topics ?? [])
    add(`topic:${topic.name ?? 'unknown'}`, topic.action);
  for (const filter of assessment.contentPolicy?.filters ?? [])
    add(`content:${filter.type ?? 'unknown'}`, filter.action);
  for (const word of assessment.wordPolicy?.customWords ?? []) add('word', word.action);
  for (const word of assessment.wordPolicy?.managedWordLists ?? [])
    add(`word:${word.type ?? 'managed'}`, word.action);
  for (const pii of assessment.sensitiveInformationPolicy?.piiEntities ?? [])
    add(`pii:${pii.type ?? 'unknown'}`, pii.action);
  for (const regex of assessment.sensitiveInformationPolicy?.regexes ?? [])
    add(`regex:${regex.name ?? 'unknown'}`, regex.action);
  return found;
}

export interface BedrockGuardrailOptions {
  /** The `type: bedrock` provider whose region, endpoint and credentials make the call. */
  readonly provider: BedrockProviderSettings;
  readonly guardrailId: string;
  readonly guardrailVersion: string;
  readonly clock?: Clock;
}

/** One configured Bedrock guardrail: `apply` asks ApplyGuardrail about texts. */
export class BedrockGuardrailClient implements RemoteGuardrail {
  private readonly transport: BedrockTransport;
  private readonly path: string;

  constructor(options: BedrockGuardrailOptions) {
    const clock = options.clock ?? systemClock;
    this.transport = new BedrockTransport({
      region: options.provider.region,
      endpoint: options.provider.endpoint,
      auth: resolveBedrockAuth(options.provider, clock),
      clock,
      connections: connectionTuning(options.provider),
    });
    this.path = `/guardrail/${encodeURIComponent(options.guardrailId)}/version/${encodeURIComponent(options.guardrailVersion)}/apply`;
  }

  /**
   * The guardrail's verdict on `texts` as `source` (INPUT: a prompt, OUTPUT: an answer). Rejects
   * with a classified GatewayError when Bedrock cannot be reached or refuses the call (the caller's
   * `on_error` decides what that means).
   */
  async apply(
    source: 'INPUT' | 'OUTPUT',
    texts: readonly string[],
    signal: AbortSignal,
  ): Promise<GuardrailVerdict> {
    const body = JSON.stringify({ source, content: texts.map((text) => ({ text: { text } })) });
    const response = await this.transport.postPath(this.path, body, signal, 'application/json');
    let parsed: z.infer<typeof responseSchema>;
    try {
      parsed = responseSchema.parse(await response.body.json());
    } catch (error) {
      throw badResponse('bedrock: ApplyGuardrail answered with an unreadable body', error);
    }
    const findings = parsed.assessments.flatMap(findingsOf);
    const blocked = findings.some((finding) => finding.action === 'blocked');
    const masked =
      parsed.action === 'GUARDRAIL_INTERVENED' && !blocked && parsed.outputs.length === texts.length;
    return {
      blocked,
      texts: masked ? parsed.outputs.map((output, index) => output.text ?? texts[index] ?? '') : texts,
      findings,
    };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
