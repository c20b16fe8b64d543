import Anthropic from '@anthropic-ai/sdk';
import type { StopReason } from '../../core/chat-response.ts';
import type { DialectContractSubject, SdkAnswer, SdkReasoning } from '../dialect.contract.ts';
import plainBody from './__fixtures__/messages-request-plain.json' with { type: 'json' };
import toolsBody from './__fixtures__/messages-request-tools.json' with { type: 'json' };
import { anthropicMessagesDialect } from './anthropic-messages-dialect.ts';

function client(origin: string): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-contract', baseURL: origin, maxRetries: 0 });
}

function read(message: Anthropic.Message): SdkAnswer {
  let text = '';
  const toolCalls: { id: string; name: string; input: unknown }[] = [];
  const reasoning: SdkReasoning[] = [];
  for (const block of message.content) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use')
      toolCalls.push({ id: block.id, name: block.name, input: block.input });
    else if (block.type === 'thinking')
      reasoning.push({
        text: block.thinking,
        signature: block.signature === '' ? undefined : block.signature,
      });
    else if (block.type === 'redacted_thinking') reasoning.push({ redacted: block.data });
    else throw new Error(`unexpected content block ${block.type}`);
  }
  return {
    id: message.id,
    model: message.model,
    text,
    toolCalls,
    reasoning,
    stopReason: message.stop_reason,
    stopSequence: message.stop_sequence,
    usage: {
      input_tokens: message.usage.input_tokens,
      output_tokens: message.usage.output_tokens,
      cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
      cache_read_input_tokens: message.usage.cache_read_input_tokens,
      thinking_tokens: message.usage.output_tokens_details?.thinking_tokens,
    },
  };
}

const stopReasons: Record<StopReason, Anthropic.StopReason> = {
  end_turn: 'end_turn',
  stop_sequence: 'stop_sequence',
  max_tokens: 'max_tokens',
  context_window_exceeded: 'model_context_window_exceeded',
  tool_use: 'tool_use',
  content_filter: 'refusal',
};

/** The Anthropic Messages dialect driven through @anthropic-ai/sdk. */
export const contractSubject: DialectContractSubject = {
  dialect: anthropicMessagesDialect,
  async chat(origin, model, stream) {
    const body = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'hello' }] };
    if (!stream) return read(await client(origin).messages.create(body));
    return read(await client(origin).messages.stream(body).finalMessage());
  },
  async listModels(origin) {
    const ids: string[] = [];
    for await (const model of client(origin).models.list()) ids.push(model.id);
    return ids;
  },
  embed: () => undefined,
  embeddingsBodies: [],
  apiErrorClass: Anthropic.APIError,
  errorClassFor: (status) =>
    (Anthropic.APIError.generate(status, undefined, undefined, new Headers()) as Error)
      .constructor as new () => Error,
  readError(thrown) {
    if (!(thrown instanceof Anthropic.APIError))
      throw new Error(`not an Anthropic APIError: ${String(thrown)}`);
    const body = thrown.error as
      { type?: unknown; error?: { message?: unknown; type?: unknown } } | undefined;
    const message = body?.error?.message;
    const type = body?.type === 'error' ? body.error?.type : undefined;
    return {
      status: thrown.status,
      message: typeof message === 'string' ? message : undefined,
      retryAfter: thrown.headers?.get('retry-after'),
      type: typeof type === 'string' ? type : undefined,
      code: undefined,
    };
  },
  // https://docs.claude.com/en/api/errors
  errorTypes: [
    'invalid_request_error',
    'authentication_error',
    'billing_error',
    'permission_error',
    'not_found_error',
    'request_too_large',
    'rate_limit_error',
    'api_error',
    'timeout_error',
    'overloaded_error',
  ],
  stopReasons,
  expectedUsage: (usage) => ({
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: usage.cacheReadInputTokens ?? 0,
    ...(usage.reasoningTokens === undefined ? {} : { thinking_tokens: usage.reasoningTokens }),
  }),
  chatBodies: [toolsBody, plainBody],
  freeFormPaths: ['tools[*].input_schema', 'messages[*].content[*].input', 'system[*].cache_control'],
};

// The Bedrock InvokeModel dialect answers with Anthropic messages: its subject reads them the same way.
export { read as readAnthropicMessage, stopReasons as anthropicStopReasons };
