import OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { StopReason } from '../../core/chat-response.ts';
import type { DialectContractSubject, SdkAnswer } from '../dialect.contract.ts';
import plainBody from './__fixtures__/chat-request-structured.json' with { type: 'json' };
import toolsBody from './__fixtures__/chat-request-tools.json' with { type: 'json' };
import embeddingsBody from './__fixtures__/embeddings-request.json' with { type: 'json' };
import { openaiChatDialect } from './openai-chat-dialect.ts';

function client(origin: string): OpenAI {
  return new OpenAI({ apiKey: 'sk-contract', baseURL: `${origin}/v1`, maxRetries: 0 });
}

function read(completion: ChatCompletion): SdkAnswer {
  const choice = completion.choices[0];
  return {
    id: completion.id,
    model: completion.model,
    text: choice?.message.content ?? '',
    toolCalls: (choice?.message.tool_calls ?? []).map((call) => {
      if (call.type !== 'function') throw new Error(`unexpected tool call type ${call.type}`);
      return { id: call.id, name: call.function.name, input: JSON.parse(call.function.arguments) as unknown };
    }),
    stopReason: choice?.finish_reason ?? null,
    stopSequence: undefined,
    usage:
      completion.usage === undefined
        ? undefined
        : {
            prompt_tokens: completion.usage.prompt_tokens,
            completion_tokens: completion.usage.completion_tokens,
            total_tokens: completion.usage.total_tokens,
            cached_tokens: completion.usage.prompt_tokens_details?.cached_tokens,
            reasoning_tokens: completion.usage.completion_tokens_details?.reasoning_tokens,
          },
  };
}

const finishReasons: Record<StopReason, ChatCompletion.Choice['finish_reason']> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  content_filter: 'content_filter',
};

/** How the openai SDK raises the OpenAI error object (shared by the dialects speaking it). */
export const openaiSdkErrors: Pick<
  DialectContractSubject,
  'apiErrorClass' | 'errorClassFor' | 'readError' | 'errorTypes'
> = {
  apiErrorClass: OpenAI.APIError,
  errorClassFor: (status) =>
    (OpenAI.APIError.generate(status, undefined, undefined, new Headers()) as Error)
      .constructor as new () => Error,
  readError(thrown) {
    if (!(thrown instanceof OpenAI.APIError)) throw new Error(`not an openai APIError: ${String(thrown)}`);
    const body = thrown.error as { message?: unknown } | undefined;
    return {
      status: thrown.status,
      message: typeof body?.message === 'string' ? body.message : undefined,
      retryAfter: thrown.headers?.get('retry-after'),
      type: thrown.type,
      code: thrown.code,
    };
  },
  // https://platform.openai.com/docs/guides/error-codes (and insufficient_quota for a spent budget).
  errorTypes: [
    'invalid_request_error',
    'authentication_error',
    'permission_error',
    'rate_limit_error',
    'insufficient_quota',
    'server_error',
  ],
};

/** The OpenAI chat dialect driven through the openai SDK. */
export const contractSubject: DialectContractSubject = {
  dialect: openaiChatDialect,
  async chat(origin, model, stream) {
    const messages = [{ role: 'user' as const, content: 'hello' }];
    if (!stream) return read(await client(origin).chat.completions.create({ model, messages }));
    const helper = client(origin).chat.completions.stream({
      model,
      messages,
      stream_options: { include_usage: true },
    });
    return read(await helper.finalChatCompletion());
  },
  async listModels(origin) {
    const ids: string[] = [];
    for await (const model of client(origin).models.list()) ids.push(model.id);
    return ids;
  },
  async embed(origin, model) {
    // The SDK asks for base64 unless told otherwise, and decodes it: the float32 path.
    const answer = await client(origin).embeddings.create({ model, input: ['one', 'two'] });
    return { vectors: answer.data.map((item) => item.embedding), inputTokens: answer.usage.prompt_tokens };
  },
  embeddingsBodies: [embeddingsBody],
  ...openaiSdkErrors,
  stopReasons: finishReasons,
  expectedUsage(usage) {
    const cached = usage.cacheReadInputTokens ?? 0;
    const prompt = usage.inputTokens + cached + (usage.cacheWriteInputTokens ?? 0);
    return {
      prompt_tokens: prompt,
      completion_tokens: usage.outputTokens,
      total_tokens: prompt + usage.outputTokens,
      cached_tokens: cached,
      reasoning_tokens: usage.reasoningTokens ?? 0,
    };
  },
  chatBodies: [toolsBody, plainBody],
  freeFormPaths: ['tools[*].function.parameters', 'response_format.json_schema.schema'],
};
