import OpenAI from 'openai';
import type { Response } from 'openai/resources/responses/responses';
import type { StopReason } from '../../core/chat-response.ts';
import type { DialectContractSubject, SdkAnswer, SdkReasoning } from '../dialect.contract.ts';
import { reasoningPartOf } from './openai-responses-response.ts';
import aiSdkObjectBody from './__fixtures__/responses-request-ai-sdk-object.json' with { type: 'json' };
import aiSdkToolsBody from './__fixtures__/responses-request-ai-sdk-tools.json' with { type: 'json' };
import langchainBody from './__fixtures__/responses-request-langchain.json' with { type: 'json' };
import toolsBody from './__fixtures__/responses-request-tools.json' with { type: 'json' };
import { openaiSdkErrors } from '../openai-chat/openai-chat-sdk.contract.ts';
import { openaiResponsesDialect } from './openai-responses-dialect.ts';

// Request bodies recorded from the openai SDK (responses.create), the AI SDK (@ai-sdk/openai
// generateText with a tool, generateObject) and LangChain (ChatOpenAI useResponsesApi).

function client(origin: string): OpenAI {
  return new OpenAI({ apiKey: 'sk-contract', baseURL: `${origin}/v1`, maxRetries: 0 });
}

function read(response: Response): SdkAnswer {
  const toolCalls: { id: string; name: string; input: unknown }[] = [];
  const reasoning: SdkReasoning[] = [];
  for (const item of response.output) {
    if (item.type === 'function_call')
      toolCalls.push({ id: item.call_id, name: item.name, input: JSON.parse(item.arguments) as unknown });
    if (item.type === 'reasoning') {
      // What a client sends back in its next input: the dialect reads the item the way it parses it.
      const part = reasoningPartOf(
        item.summary.map((summary) => summary.text).join(''),
        item.encrypted_content,
      );
      reasoning.push(
        part.type === 'reasoning' ? { text: part.text, signature: part.signature } : { redacted: part.data },
      );
    }
  }
  const usage = response.usage;
  return {
    id: response.id,
    model: response.model,
    // output_text is the SDK's own: it joins every output_text part of every message item.
    text: response.output_text,
    toolCalls,
    reasoning,
    stopReason: response.incomplete_details?.reason ?? response.status ?? null,
    stopSequence: undefined,
    usage:
      usage === undefined
        ? undefined
        : {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            total_tokens: usage.total_tokens,
            cached_tokens: usage.input_tokens_details.cached_tokens,
            cache_write_tokens: usage.input_tokens_details.cache_write_tokens,
            reasoning_tokens: usage.output_tokens_details.reasoning_tokens,
          },
  };
}

// The Responses API has no finish reason: a response is `completed`, or `incomplete` with a reason.
const stopReasons: Record<StopReason, string> = {
  end_turn: 'completed',
  stop_sequence: 'completed',
  tool_use: 'completed',
  max_tokens: 'max_output_tokens',
  context_window_exceeded: 'max_output_tokens',
  content_filter: 'content_filter',
};

/** The OpenAI Responses dialect driven through the openai SDK. */
export const contractSubject: DialectContractSubject = {
  dialect: openaiResponsesDialect,
  async chat(origin, model, stream) {
    if (!stream) return read(await client(origin).responses.create({ model, input: 'hello' }));
    return read(await client(origin).responses.stream({ model, input: 'hello' }).finalResponse());
  },
  listModels: () => undefined,
  embed: () => undefined,
  embeddingsBodies: [],
  ...openaiSdkErrors,
  stopReasons,
  expectedUsage(usage) {
    const cached = usage.cacheReadInputTokens ?? 0;
    const written = usage.cacheWriteInputTokens ?? 0;
    const input = usage.inputTokens + cached + written;
    return {
      input_tokens: input,
      output_tokens: usage.outputTokens,
      total_tokens: input + usage.outputTokens,
      cached_tokens: cached,
      cache_write_tokens: written,
      reasoning_tokens: usage.reasoningTokens ?? 0,
    };
  },
  chatBodies: [toolsBody, aiSdkObjectBody, aiSdkToolsBody, langchainBody],
  freeFormPaths: ['tools[*].parameters', 'text.format.schema'],
};
