import type { ChatResponse } from '../../core/chat-response.ts';

/** A text-and-tool-call answer with every usage field, the one each dialect's renderer test spells out. */
export const toolCallAnswer: ChatResponse = {
  id: 'resp-1',
  model: 'upstream-model',
  content: [
    { type: 'text', text: 'Sure' },
    { type: 'tool_call', id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
  ],
  stopReason: 'tool_use',
  usage: { inputTokens: 5, outputTokens: 6, cacheReadInputTokens: 1, cacheWriteInputTokens: 2 },
};
