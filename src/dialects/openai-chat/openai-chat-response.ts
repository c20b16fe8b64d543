import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Usage } from '../../core/usage.ts';

/** OpenAI's finish_reason for a canonical stop reason. */
export function openaiFinishReason(reason: StopReason): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
  }
}

/**
 * OpenAI usage: prompt_tokens counts every input token, cached ones included; completion_tokens
 * counts reasoning tokens too, which completion_tokens_details breaks out.
 */
export function openaiUsage(usage: Usage): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
} {
  const cached = usage.cacheReadInputTokens ?? 0;
  const prompt = usage.inputTokens + cached + (usage.cacheWriteInputTokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

interface OpenaiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * The `chat.completion` JSON text for a canonical response. `model` is the model group the client
 * asked for; `created` is in epoch seconds. Reasoning parts have no place in Chat Completions (OpenAI
 * returns none there); their tokens show in `completion_tokens_details.reasoning_tokens`.
 */
export function renderOpenaiChatResponse(response: ChatResponse, model: string, created: number): string {
  let text: string | null = null;
  let toolCalls: OpenaiToolCall[] | undefined;
  for (const part of response.content) {
    if (part.type === 'text') {
      text = text === null ? part.text : text + part.text;
    } else if (part.type === 'tool_call') {
      (toolCalls ??= []).push({
        id: part.id,
        type: 'function',
        function: { name: part.name, arguments: part.arguments },
      });
    }
  }
  const message =
    toolCalls === undefined
      ? { role: 'assistant', content: text ?? '', refusal: null }
      : { role: 'assistant', content: text, refusal: null, tool_calls: toolCalls };
  return JSON.stringify({
    id: response.id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openaiFinishReason(response.stopReason) }],
    usage: openaiUsage(response.usage),
  });
}
