import { z } from 'zod';
import type { Simulation } from '../simulation.ts';
import type { SimHttpRequest, SimHttpResponse } from '../sim-http.ts';
import { describeZodError, sendBedrockException, type BedrockException } from './bedrock-errors.ts';
import { evaluateGuardrail, findGuardrail } from './sim-guardrails.ts';
import type { SigV4Verifier } from './sigv4-verifier.ts';

/** An ApplyGuardrail body (ApplyGuardrailRequest without the path's identifier and version). */
const applyGuardrailSchema = z.looseObject({
  source: z.enum(['INPUT', 'OUTPUT']),
  content: z
    .array(
      z.looseObject({
        text: z.looseObject({ text: z.string(), qualifiers: z.array(z.string()).optional() }),
      }),
    )
    .min(1),
  outputScope: z.enum(['INTERVENTIONS', 'FULL']).optional(),
});

const pathPattern = /^\/guardrail\/([^/]+)\/version\/([^/]+)\/apply$/;

/** POST /guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply, SigV4-signed. */
export function handleApplyGuardrail(
  sim: Simulation,
  verifier: SigV4Verifier,
  request: SimHttpRequest,
  http: SimHttpResponse,
): void {
  const requestId = sim.requestId();
  const match = pathPattern.exec(request.rawPath);
  const send = (exception: BedrockException, accountId = 'unknown', region = 'unknown'): void => {
    sendBedrockException(http, exception, requestId);
    sim.recordRejected({
      requestId,
      accountId,
      region,
      inferenceRegion: undefined,
      modelId: match?.[1] ?? '',
      baseModelId: undefined,
      api: 'bedrock',
      operation: 'ApplyGuardrail',
      stream: false,
      status: exception.status,
      errorCode: exception.code,
      inputTokens: 0,
      outputTokens: 0,
      faultId: undefined,
    });
  };
  if (request.method !== 'POST' || match === null) {
    send({ code: 'UnknownOperationException', status: 404, message: 'Unknown operation' });
    return;
  }
  const caller = verifier.authenticate(request);
  if ('code' in caller) {
    send(caller);
    return;
  }
  const validation = (message: string): void => {
    send({ code: 'ValidationException', status: 400, message }, caller.accountId, caller.region);
  };
  let id: string;
  let version: string;
  let body: unknown;
  try {
    id = decodeURIComponent(match[1] ?? '');
    version = decodeURIComponent(match[2] ?? '');
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    validation('Malformed input request, please reformat your input and try again.');
    return;
  }
  const guardrail = findGuardrail(
    sim.index.world.bedrock.guardrails,
    id,
    version,
    caller.accountId,
    caller.region,
  );
  if (guardrail === undefined) {
    send(
      {
        code: 'ResourceNotFoundException',
        status: 404,
        message: `The guardrail identifier or version provided (${id}:${version}) is invalid.`,
      },
      caller.accountId,
      caller.region,
    );
    return;
  }
  const parsed = applyGuardrailSchema.safeParse(body);
  if (!parsed.success) {
    validation(describeZodError(parsed.error));
    return;
  }
  const texts = parsed.data.content.map((block) => block.text.text);
  const verdict = evaluateGuardrail(guardrail, parsed.data.source, texts);
  const outputs = verdict.action === 'NONE' && parsed.data.outputScope === 'FULL' ? texts : verdict.outputs;
  const text = JSON.stringify({
    usage: verdict.usage,
    action: verdict.action,
    ...(verdict.action === 'GUARDRAIL_INTERVENED'
      ? { actionReason: `Guardrail blocked or masked content (${guardrail.id}).` }
      : {}),
    outputs: outputs.map((output) => ({ text: output })),
    assessments: [verdict.assessment],
    guardrailCoverage: { textCharacters: { guarded: texts.join('').length, total: texts.join('').length } },
  });
  http.writeHead(200, {
    'x-amzn-requestid': requestId,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  http.end(text);
  sim.recordRejected({
    requestId,
    accountId: caller.accountId,
    region: caller.region,
    inferenceRegion: caller.region,
    modelId: guardrail.id,
    baseModelId: undefined,
    api: 'bedrock',
    operation: 'ApplyGuardrail',
    stream: false,
    status: 200,
    errorCode: verdict.action === 'GUARDRAIL_INTERVENED' ? 'GuardrailIntervened' : undefined,
    inputTokens: 0,
    outputTokens: 0,
    faultId: undefined,
  });
}
