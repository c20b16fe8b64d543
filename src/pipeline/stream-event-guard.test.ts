import { describe, expect, it } from 'vitest';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import { StreamEventGuard } from './stream-event-guard.ts';

describe('StreamEventGuard', () => {
  it('lets one start, one stop per block, one message_stop and one usage through', () => {
    const events: ChatStreamEvent[] = [
      { type: 'message_start', id: 'a', model: 'm' },
      { type: 'message_start', id: 'b', model: 'm' },
      { type: 'text_delta', index: 0, text: 'hi' },
      { type: 'content_block_stop', index: 0 },
      { type: 'text_delta', index: 0, text: 'late' },
      { type: 'content_block_stop', index: 0 },
      { type: 'tool_call_start', index: 1, id: 't', name: 'f' },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_stop', stopReason: 'end_turn' },
      { type: 'text_delta', index: 2, text: 'after the end' },
      { type: 'message_stop', stopReason: 'end_turn' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 9 } },
    ];
    const guard = new StreamEventGuard();
    const admitted = events.filter((event) => guard.admit(event));
    expect(admitted).toEqual([events[0], events[2], events[3], events[6], events[7], events[8], events[11]]);
  });
});
