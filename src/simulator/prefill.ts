import type { SimChatRequest, SimChatResult } from './sim-chat.ts';
import { countInputTokens, generateChatResult } from './text-generator.ts';

/**
 * The simulated model continuing from an assistant prefill (a trailing assistant turn of text), as
 * the Anthropic Messages and Bedrock Converse APIs do: the answer it would give to the conversation
 * before that turn, from the end of the prefill on. A prefill the answer does not start with (another
 * model's text) is a conversation it did not write: the answer is generated as usual. The OpenAI
 * API has no prefill: its servers answer as usual (they ignore the trailing turn).
 */
export function generateWithPrefill(request: SimChatRequest, seed: number, modelId: string): SimChatResult {
  const last = request.messages.at(-1);
  const texts = last?.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])) ?? [];
  if (last?.role !== 'assistant' || texts.length !== last.content.length) {
    return generateChatResult(request, seed, modelId);
  }
  const prefill = texts.join('');
  const whole = generateChatResult(
    { ...request, messages: request.messages.slice(0, -1), maxTokens: undefined },
    seed,
    modelId,
  );
  const [block] = whole.blocks;
  if (whole.blocks.length !== 1 || block?.type !== 'text' || !block.text.startsWith(prefill)) {
    return generateChatResult(request, seed, modelId);
  }
  let words = block.text.slice(prefill.length).split(' ');
  let stopReason = whole.stopReason;
  let stopSequence = whole.stopSequence;
  // The output cap counts the continuation's words (the simulator's tokens), as the answer's own.
  const counted = words.filter((word) => word !== '');
  if (request.maxTokens !== undefined && counted.length > request.maxTokens) {
    let kept = 0;
    const cut = words.findIndex((word) => word !== '' && ++kept > (request.maxTokens ?? 0));
    words = words.slice(0, cut);
    stopReason = 'max_tokens';
    stopSequence = undefined;
  }
  const text = words.join(' ');
  return {
    blocks: [{ type: 'text', text }],
    stopReason,
    stopSequence,
    inputTokens: countInputTokens(request),
    outputTokens: Math.max(words.filter((word) => word !== '').length, text === '' ? 0 : 1),
  };
}
