import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import { addUsage, repeatedPrefix, StreamSplice } from './stream-splice.ts';

const splice = (events: readonly ChatStreamEvent[], into = new StreamSplice()): ChatStreamEvent[] =>
  events.flatMap((event) => into.map(event));
const text = (events: readonly ChatStreamEvent[]): string =>
  events.flatMap((event) => (event.type === 'text_delta' ? [event.text] : [])).join('');

describe('repeatedPrefix', () => {
  it('is the longest prefix of the continuation that ends the delivered text', () => {
    expect(repeatedPrefix('one two three ', 'two three four')).toBe('two three '.length);
    expect(repeatedPrefix('abc', 'abcdef')).toBe(3);
    expect(repeatedPrefix('abc', 'xyz')).toBe(0);
    expect(repeatedPrefix('', 'xyz')).toBe(0);
  });
});

describe('StreamSplice', () => {
  const start: ChatStreamEvent = { type: 'message_start', id: 'a', model: 'm' };

  it('carries the cut text block on, drops the second start and reasoning, and sums the usage', () => {
    const into = new StreamSplice();
    const first = splice([start, { type: 'text_delta', index: 0, text: 'Hello ' }], into);
    const closing = into.continueAfterCut({ inputTokens: 5, outputTokens: 2, estimated: true }, 'prefill', 1);
    const rest = splice(
      [
        { type: 'message_start', id: 'b', model: 'n' },
        { type: 'reasoning_delta', index: 0, text: 'hmm' },
        { type: 'content_block_stop', index: 0 },
        { type: 'text_delta', index: 1, text: ' world' },
        { type: 'content_block_stop', index: 1 },
        { type: 'tool_call_start', index: 2, id: 't', name: 'f' },
        { type: 'content_block_stop', index: 2 },
        { type: 'message_stop', stopReason: 'end_turn' },
        { type: 'usage', usage: { inputTokens: 7, outputTokens: 3 } },
      ],
      into,
    );
    expect(closing).toEqual([]);
    expect(text([...first, ...rest])).toBe('Hello world');
    expect(rest.map((event) => event.type)).toEqual([
      'text_delta',
      'content_block_stop',
      'tool_call_start',
      'content_block_stop',
      'message_stop',
      'usage',
    ]);
    expect(rest[0]).toMatchObject({ index: 0 });
    expect(rest[2]).toMatchObject({ index: 1 });
    expect(rest.at(-1)).toMatchObject({ usage: { inputTokens: 12, outputTokens: 5, estimated: true } });
  });

  it('trims what a plain continuation repeats, across deltas', () => {
    const into = new StreamSplice();
    splice([start, { type: 'text_delta', index: 0, text: 'one two three ' }], into);
    into.continueAfterCut({ inputTokens: 1, outputTokens: 1 }, 'plain');
    const rest = splice(
      [
        { type: 'text_delta', index: 0, text: 'two th' },
        { type: 'text_delta', index: 0, text: 'ree four five' },
        { type: 'message_stop', stopReason: 'end_turn' },
      ],
      into,
    );
    expect(text(rest)).toBe('four five');
    expect(into.text).toBe('one two three four five');
  });

  it('closes a reasoning block left open by the cut and notes a tool call', () => {
    const into = new StreamSplice();
    splice([start, { type: 'reasoning_delta', index: 0, text: 'thinking' }], into);
    expect(into.continueAfterCut({ inputTokens: 1, outputTokens: 1 }, 'prefill')).toEqual([
      { type: 'content_block_stop', index: 0 },
    ]);
    expect(into.toolCallStarted).toBe(false);
    splice([{ type: 'tool_call_start', index: 0, id: 't', name: 'f' }], into);
    expect(into.toolCallStarted).toBe(true);
  });

  it('addUsage marks the sum estimated when either part was', () => {
    expect(addUsage({ inputTokens: 1, outputTokens: 2 }, { inputTokens: 3, outputTokens: 4 })).toMatchObject({
      inputTokens: 4,
      outputTokens: 6,
    });
    expect(
      addUsage({ inputTokens: 1, outputTokens: 2, estimated: true }, { inputTokens: 3, outputTokens: 4 })
        .estimated,
    ).toBe(true);
  });
});
