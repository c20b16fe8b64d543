import fc from 'fast-check';
import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';

// Generators of canonical answers and streams for the dialect contract (src/dialects/dialect.contract.ts).

const stopReasons: readonly StopReason[] = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'content_filter',
  'context_window_exceeded',
];

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('data: [DONE]\n\n', 'event: error\ndata: {}\n\n', '\r\n', '"}]}'),
);

const toolCall = fc.record({
  type: fc.constant('tool_call' as const),
  id: fc.stringMatching(/^call_[A-Za-z0-9]{1,12}$/),
  name: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,20}$/),
  arguments: fc
    .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
    .map((input) => JSON.stringify(input)),
});

const usage: fc.Arbitrary<Usage> = fc
  .record({
    inputTokens: fc.nat({ max: 2_000_000 }),
    outputTokens: fc.nat({ max: 200_000 }),
    cacheReadInputTokens: fc.option(fc.nat({ max: 2_000_000 }), { nil: undefined }),
    cacheWriteInputTokens: fc.option(fc.nat({ max: 2_000_000 }), { nil: undefined }),
    reasoningShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  })
  .map(({ reasoningShare, ...counts }) =>
    reasoningShare === undefined
      ? counts
      : { ...counts, reasoningTokens: Math.floor(counts.outputTokens * reasoningShare) },
  );

/** Reasoning before the answer: signed or not, or redacted (the opaque data is base64-like). */
const reasoning: fc.Arbitrary<AssistantPart> = fc.oneof(
  fc.record({
    type: fc.constant('reasoning' as const),
    text,
    signature: fc.option(fc.stringMatching(/^[A-Za-z0-9+/]{8,40}$/), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('redacted_reasoning' as const),
    data: fc.stringMatching(/^[A-Za-z0-9+/]{4,40}$/),
  }),
);

/**
 * Any canonical answer: up to two reasoning parts first, then up to four text and tool-call parts,
 * any stop reason, any usage.
 */
export const canonicalAnswer: fc.Arbitrary<ChatResponse> = fc
  .record({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    content: fc
      .tuple(
        fc.array(reasoning, { maxLength: 2 }),
        fc.array(fc.oneof(fc.record({ type: fc.constant('text' as const), text }), toolCall), {
          maxLength: 4,
        }),
      )
      .map(([thoughts, answer]) => [...thoughts, ...answer]),
    stopReason: fc.constantFrom(...stopReasons),
    stopSequence: fc.string({ minLength: 1, maxLength: 8 }),
    usage,
  })
  .map(({ stopSequence, ...answer }) => ({
    ...answer,
    model: 'upstream-model',
    stopSequence: answer.stopReason === 'stop_sequence' ? stopSequence : undefined,
  }));

/** Splits a string in two at a code point boundary (as upstream deltas arrive), dropping empty halves. */
function halves(value: string): string[] {
  const points = Array.from(value);
  const middle = Math.floor(points.length / 2);
  return [points.slice(0, middle).join(''), points.slice(middle).join('')].filter((part) => part !== '');
}

/** The canonical stream of an answer, in the order chat-model adapters yield it. */
export function streamOf(answer: ChatResponse): ChatStreamEvent[] {
  const events: ChatStreamEvent[] = [
    {
      type: 'message_start',
      id: answer.id,
      model: answer.model,
      usage: { inputTokens: answer.usage.inputTokens, outputTokens: 0 },
    },
  ];
  answer.content.forEach((part, index) => {
    if (part.type === 'text') {
      const deltas = halves(part.text);
      for (const delta of deltas.length > 0 ? deltas : [''])
        events.push({ type: 'text_delta', index, text: delta });
    } else if (part.type === 'reasoning') {
      for (const delta of halves(part.text)) events.push({ type: 'reasoning_delta', index, text: delta });
      if (part.signature !== undefined)
        events.push({ type: 'reasoning_signature', index, signature: part.signature });
    } else if (part.type === 'redacted_reasoning') {
      events.push({ type: 'redacted_reasoning', index, data: part.data });
    } else {
      events.push({ type: 'tool_call_start', index, id: part.id, name: part.name });
      for (const delta of halves(part.arguments))
        events.push({ type: 'tool_call_delta', index, argumentsDelta: delta });
    }
    events.push({ type: 'content_block_stop', index });
  });
  events.push({ type: 'message_stop', stopReason: answer.stopReason, stopSequence: answer.stopSequence });
  events.push({ type: 'usage', usage: answer.usage });
  return events;
}

// Float32 values (what embeddings carry), without -0 (JSON writes it as 0).
export const float32Vector = fc.array(
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value)),
  { minLength: 1, maxLength: 16 },
);
