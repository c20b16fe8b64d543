import { z } from 'zod';
import type { CallTarget, Simulation } from '../simulation.ts';
import { headerValue, type SimHttpRequest, type SimHttpResponse } from '../sim-http.ts';
import { countTokens, generateEmbedding } from '../text-generator.ts';
import type { ChatProtocol, ResponseMeta, WireProtocol } from '../wire-protocol.ts';
import { azurePromptFilterChunk, withAzureFilterResults } from './azure-filter-results.ts';
import { baseHeaders, openaiError, sendOpenaiError } from './openai-wire-errors.ts';
import { openaiChatRequestSchema, openaiChunks, openaiCompletion, openaiToSim } from './openai-codec.ts';

function sendJson(http: SimHttpResponse, meta: ResponseMeta, body: string): void {
  http.writeHead(200, {
    ...baseHeaders(meta.requestId, meta),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  http.end(body);
}

const wire: WireProtocol = {
  errorCode: (failure) => {
    const error = openaiError(failure, '');
    return error.code ?? error.type;
  },
  sendError: (http, failure, meta) => {
    sendOpenaiError(http, openaiError(failure, meta.modelId), meta.requestId, meta);
  },
  sendMalformed: (http, meta) => {
    sendJson(
      http,
      meta,
      '{"id":"chatcmpl-malformed","object":"chat.completion","choices":[{"index":0,"message":',
    );
  },
};

function chatProtocol(includeUsage: boolean, azure: boolean): ChatProtocol {
  const completionId = (meta: ResponseMeta): string =>
    `chatcmpl-${meta.requestId.replaceAll('-', '').slice(0, 29)}`;
  return {
    ...wire,
    sendResult: (http, result, meta) => {
      sendJson(
        http,
        meta,
        JSON.stringify(
          (azure ? withAzureFilterResults : (completion: Record<string, unknown>) => completion)(
            openaiCompletion(result, completionId(meta), meta.modelId, Math.floor(meta.now / 1000)),
          ),
        ),
      );
    },
    startStream: (http, meta) => {
      http.writeHead(200, {
        ...baseHeaders(meta.requestId, meta),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
      });
    },
    streamFrames: (result, meta) => [
      ...(azure ? [{ data: azurePromptFilterChunk, tokens: 0 }] : []),
      ...openaiChunks(
        result,
        completionId(meta),
        meta.modelId,
        Math.floor(meta.now / 1000),
        includeUsage,
      ).map((chunk) => ({ data: `data: ${JSON.stringify(chunk.json)}\n\n`, tokens: chunk.tokens })),
      { data: 'data: [DONE]\n\n', tokens: 0 },
    ],
    streamError: (failure) => {
      const error = openaiError(failure, '');
      return `data: ${JSON.stringify({ error: { message: error.message, type: error.type, param: error.param, code: error.code } })}\n\n`;
    },
    malformedFrame: () => 'data: {"id":"chatcmpl-malformed","choices":[{"delta":\n\n',
  };
}

const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int()).min(1)).min(1),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
});

function issueText(error: z.ZodError): { message: string; param: string } {
  const issue = error.issues[0];
  const param = issue?.path.join('.') ?? '';
  return { message: `Invalid value for '${param}': ${issue?.message ?? 'invalid'}.`, param };
}

/** The OpenAI API: /v1/chat/completions, /v1/embeddings, /v1/models. */
export class OpenaiApi {
  private readonly sim: Simulation;

  constructor(sim: Simulation) {
    this.sim = sim;
  }

  /**
   * Serves one /v1/... request that is not /v1/messages; with `azure`, one the Azure front passed on
   * (Azure's content-filter results added to the answer).
   */
  async handle(
    request: SimHttpRequest,
    http: SimHttpResponse,
    options: { azure?: boolean } = {},
  ): Promise<void> {
    const requestId = this.sim.requestId();
    const endpoint = this.sim.index.world.openai;
    const fail = (
      status: number,
      message: string,
      code: string | null,
      param: string | null = null,
      type = 'invalid_request_error',
    ): void => {
      sendOpenaiError(http, { status, message, type, param, code }, requestId);
    };
    const authorization = headerValue(request, 'authorization');
    const key = authorization?.startsWith('Bearer ') === true ? authorization.slice(7).trim() : undefined;
    if (key === undefined) {
      fail(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        null,
      );
      return;
    }
    if (!endpoint.api_keys.includes(key)) {
      fail(
        401,
        `Incorrect API key provided: ${key.slice(0, 3)}*****${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_api_key',
      );
      return;
    }
    const path = request.rawPath.replace(/\/+$/, '');
    if (request.method === 'GET' && path === '/v1/models') {
      const data = endpoint.models.map((model) => ({
        id: model.id,
        object: 'model',
        created: 1721172741,
        owned_by: 'system',
      }));
      this.sendPlain(http, requestId, { object: 'list', data });
      return;
    }
    if (request.method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (this.sim.index.endpointModel('openai', id) === undefined) {
        fail(404, `The model '${id}' does not exist`, 'model_not_found', 'model');
        return;
      }
      this.sendPlain(http, requestId, {
        id,
        object: 'model',
        created: 1721172741,
        owned_by: 'system',
      });
      return;
    }
    const operation =
      path === '/v1/chat/completions'
        ? 'ChatCompletions'
        : path === '/v1/embeddings'
          ? 'Embeddings'
          : undefined;
    if (request.method !== 'POST' || operation === undefined) {
      fail(404, `Invalid URL (${request.method} ${path})`, null);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      fail(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        null,
      );
      return;
    }
    const modelId =
      typeof body === 'object' && body !== null && 'model' in body && typeof body.model === 'string'
        ? body.model
        : '';
    const model = this.sim.index.endpointModel('openai', modelId);
    if (model === undefined) {
      fail(
        404,
        `The model \`${modelId}\` does not exist or you do not have access to it.`,
        'model_not_found',
      );
      return;
    }
    const base = {
      api: 'openai' as const,
      accountId: endpoint.account,
      region: endpoint.region,
      modelId,
      model,
      regions: [endpoint.region],
      requestId,
    };
    if (operation === 'Embeddings') {
      if (model.kind !== 'embedding') {
        fail(400, `This model does not support embeddings.`, null, 'model');
        return;
      }
      const parsed = embeddingRequestSchema.safeParse(body);
      if (!parsed.success) {
        fail(400, issueText(parsed.error).message, null, issueText(parsed.error).param);
        return;
      }
      const inputs =
        typeof parsed.data.input === 'string'
          ? [parsed.data.input]
          : parsed.data.input.map((item) =>
              typeof item === 'string' ? item : Array.isArray(item) ? item.join(' ') : String(item),
            );
      const texts = typeof parsed.data.input[0] === 'number' ? [inputs.join(' ')] : inputs;
      const inputTokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
      const dimensions = parsed.data.dimensions ?? model.dimensions ?? 1536;
      const base64 = parsed.data.encoding_format === 'base64';
      const target: CallTarget = { ...base, operation, stream: false };
      await this.sim.runUnary(target, inputTokens, wire, http, (meta) => {
        const data = texts.map((text, index) => {
          const vector = generateEmbedding(text, dimensions, this.sim.seed);
          return {
            object: 'embedding',
            index,
            embedding: base64
              ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
              : Array.from(vector),
          };
        });
        sendJson(
          http,
          meta,
          JSON.stringify({
            object: 'list',
            data,
            model: modelId,
            usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
          }),
        );
      });
      return;
    }
    if (model.kind !== 'chat') {
      fail(
        400,
        `This is not a chat model and thus not supported in the v1/chat/completions endpoint.`,
        null,
        'model',
      );
      return;
    }
    const parsed = openaiChatRequestSchema.safeParse(body);
    if (!parsed.success) {
      fail(400, issueText(parsed.error).message, null, issueText(parsed.error).param);
      return;
    }
    const stream = parsed.data.stream === true;
    const target: CallTarget = { ...base, operation, stream };
    await this.sim.runChat(
      target,
      openaiToSim(parsed.data),
      chatProtocol(stream && parsed.data.stream_options?.include_usage === true, options.azure === true),
      http,
    );
  }

  private sendPlain(http: SimHttpResponse, requestId: string, value: unknown): void {
    const body = JSON.stringify(value);
    http.writeHead(200, {
      ...baseHeaders(requestId, undefined),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
    http.end(body);
  }
}
