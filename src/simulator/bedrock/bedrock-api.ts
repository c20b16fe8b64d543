import { z } from 'zod';
import type { CallTarget, Simulation } from '../simulation.ts';
import { headerValue, type SimHttpRequest, type SimHttpResponse } from '../sim-http.ts';
import { countInputTokens, countTokens, generateEmbedding } from '../text-generator.ts';
import {
  bedrockException,
  describeZodError,
  sendBedrockException,
  type BedrockException,
} from './bedrock-errors.ts';
import { bedrockWire, converseProtocol, invokeProtocol } from './bedrock-protocols.ts';
import { converseRequestSchema, converseToSim, converseTurnProblem } from './converse-codec.ts';
import { invokeFamily, invokeToSim, titanEmbedRequestSchema } from './invoke-codec.ts';
import type { SimChatRequest } from '../sim-chat.ts';
import { handleApplyGuardrail } from './apply-guardrail-api.ts';
import { converseGuardrailScreen, guardrailConfigSchema, type ResultScreen } from './converse-guardrail.ts';
import { SigV4Verifier } from './sigv4-verifier.ts';

const operations: Readonly<Record<string, { name: string; stream: boolean }>> = {
  converse: { name: 'Converse', stream: false },
  'converse-stream': { name: 'ConverseStream', stream: true },
  invoke: { name: 'InvokeModel', stream: false },
  'invoke-with-response-stream': { name: 'InvokeModelWithResponseStream', stream: true },
  'count-tokens': { name: 'CountTokens', stream: false },
};

/** A CountTokens body: the input of a Converse call (or of an InvokeModel call, as its body text). */
const countTokensSchema = z.object({
  input: z.union([
    z.object({ converse: converseRequestSchema }),
    z.object({ invokeModel: z.object({ body: z.string() }) }),
  ]),
});

function validation(message: string): BedrockException {
  return { code: 'ValidationException', status: 400, message };
}

/** The Bedrock Runtime API: POST /model/{modelId}/{operation}. */
export class BedrockApi {
  private readonly sim: Simulation;
  private readonly verifier: SigV4Verifier;

  constructor(sim: Simulation) {
    this.sim = sim;
    this.verifier = new SigV4Verifier(sim.index);
  }

  /** Serves one request whose path starts with /guardrail/ (ApplyGuardrail). */
  handleGuardrail(request: SimHttpRequest, http: SimHttpResponse): void {
    handleApplyGuardrail(this.sim, this.verifier, request, http);
  }

  /** Serves one request whose path starts with /model/. */
  async handle(request: SimHttpRequest, http: SimHttpResponse): Promise<void> {
    const requestId = this.sim.requestId();
    const segments = request.rawPath.split('/');
    const operationName = segments.at(-1) ?? '';
    const operation = operations[operationName];
    const encodedId = segments.slice(2, -1).join('/');
    if (request.method !== 'POST' || operation === undefined || encodedId === '') {
      sendBedrockException(
        http,
        { code: 'UnknownOperationException', status: 404, message: 'Unknown operation' },
        requestId,
      );
      return;
    }
    let modelId: string;
    try {
      modelId = decodeURIComponent(encodedId);
    } catch {
      sendBedrockException(http, validation('The provided model identifier is invalid.'), requestId);
      return;
    }
    const caller = this.verifier.authenticate(request);
    const reject = (exception: BedrockException, accountId: string, region: string): void => {
      sendBedrockException(http, exception, requestId);
      this.sim.recordRejected({
        requestId,
        accountId,
        region,
        inferenceRegion: undefined,
        modelId,
        baseModelId: undefined,
        api: 'bedrock',
        operation: operation.name,
        stream: operation.stream,
        status: exception.status,
        errorCode: exception.code,
        inputTokens: 0,
        outputTokens: 0,
        faultId: undefined,
      });
    };
    if ('code' in caller) {
      reject(caller, 'unknown', 'unknown');
      return;
    }
    const resolved = this.sim.index.resolveBedrockModel(modelId, caller.region, caller.accountId);
    if ('kind' in resolved) {
      reject(bedrockException(resolved), caller.accountId, caller.region);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      reject(
        validation('Malformed input request, please reformat your input and try again.'),
        caller.accountId,
        caller.region,
      );
      return;
    }
    const target: CallTarget = {
      api: 'bedrock',
      operation: operation.name,
      accountId: caller.accountId,
      region: caller.region,
      modelId,
      model: resolved.model,
      regions: resolved.regions,
      stream: operation.stream,
      requestId,
    };
    const unsupported = validation(
      "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
    );
    if (operationName === 'count-tokens') {
      this.countTokens(body, resolved.model.kind, requestId, http, (exception) => {
        reject(exception, caller.accountId, caller.region);
      });
      return;
    }
    if (operationName === 'converse' || operationName === 'converse-stream') {
      if (resolved.model.kind !== 'chat') {
        reject(unsupported, caller.accountId, caller.region);
        return;
      }
      const parsed = converseRequestSchema.safeParse(body);
      if (!parsed.success) {
        reject(validation(describeZodError(parsed.error)), caller.accountId, caller.region);
        return;
      }
      const simRequest = converseToSim(parsed.data);
      const problem = converseTurnProblem(simRequest);
      if (problem !== undefined) {
        reject(validation(problem), caller.accountId, caller.region);
        return;
      }
      const screen = this.guardrailScreen(body, simRequest, caller.accountId, caller.region);
      if (typeof screen === 'string') {
        reject(validation(screen), caller.accountId, caller.region);
        return;
      }
      await this.sim.runChat(target, simRequest, converseProtocol, http, screen);
      return;
    }
    if (resolved.model.kind === 'embedding') {
      if (operation.stream) {
        reject(validation('The model is unsupported for streaming.'), caller.accountId, caller.region);
        return;
      }
      const parsed = titanEmbedRequestSchema.safeParse(body);
      if (!parsed.success) {
        reject(validation(describeZodError(parsed.error)), caller.accountId, caller.region);
        return;
      }
      const { inputText } = parsed.data;
      const dimensions = parsed.data.dimensions ?? resolved.model.dimensions ?? 1024;
      const inputTokens = countTokens(inputText);
      await this.sim.runUnary(target, inputTokens, bedrockWire, http, (meta) => {
        const embedding = Array.from(generateEmbedding(inputText, dimensions, this.sim.seed));
        const text = JSON.stringify({
          embedding,
          embeddingsByType: { float: embedding },
          inputTextTokenCount: inputTokens,
        });
        http.writeHead(200, {
          'x-amzn-requestid': meta.requestId,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
          'x-amzn-bedrock-input-token-count': String(inputTokens),
          'x-amzn-bedrock-invocation-latency': String(meta.latencyMs),
        });
        http.end(text);
      });
      return;
    }
    const family = invokeFamily(resolved.model.id);
    if (family === undefined) {
      reject(unsupported, caller.accountId, caller.region);
      return;
    }
    const accept = headerValue(request, operation.stream ? 'x-amzn-bedrock-accept' : 'accept');
    if (accept !== undefined && accept !== '*/*' && !accept.includes('json')) {
      reject(validation(`Accept header ${accept} is not supported.`), caller.accountId, caller.region);
      return;
    }
    let simRequest;
    try {
      simRequest = invokeToSim(family, body);
    } catch (error) {
      const message =
        error instanceof Error && 'issues' in error
          ? describeZodError(error as z.ZodError)
          : 'Malformed input request, please reformat your input and try again.';
      reject(validation(message), caller.accountId, caller.region);
      return;
    }
    await this.sim.runChat(target, simRequest, invokeProtocol(family), http);
  }

  /** The guardrail screen of a Converse body's guardrailConfig, none without one, or a validation message. */
  private guardrailScreen(
    body: unknown,
    request: SimChatRequest,
    accountId: string,
    region: string,
  ): ResultScreen | string | undefined {
    const config = (body as { guardrailConfig?: unknown }).guardrailConfig;
    if (config === undefined) return undefined;
    const parsed = guardrailConfigSchema.safeParse(config);
    if (!parsed.success) {
      return describeZodError(
        new z.ZodError(
          parsed.error.issues.map((issue) => ({ ...issue, path: ['guardrailConfig', ...issue.path] })),
        ),
      );
    }
    return converseGuardrailScreen(
      this.sim.index.world.bedrock.guardrails,
      parsed.data,
      request,
      accountId,
      region,
    );
  }

  /** CountTokens: the input tokens the call would bill, free of charge and of quota (as on Bedrock). */
  private countTokens(
    body: unknown,
    kind: string,
    requestId: string,
    http: SimHttpResponse,
    reject: (exception: BedrockException) => void,
  ): void {
    if (kind !== 'chat') {
      reject(validation("The provided model doesn't support counting tokens."));
      return;
    }
    const parsed = countTokensSchema.safeParse(body);
    if (!parsed.success) {
      reject(validation(describeZodError(parsed.error)));
      return;
    }
    const input = parsed.data.input;
    let inputTokens: number;
    if ('converse' in input) {
      inputTokens = countInputTokens(converseToSim(input.converse));
    } else {
      inputTokens = countTokens(input.invokeModel.body);
    }
    const text = JSON.stringify({ inputTokens });
    http.writeHead(200, {
      'x-amzn-requestid': requestId,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    });
    http.end(text);
  }
}
