import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { streamWindowChars } from './detector.ts';
import type { TextCheck } from './text-check.ts';

/** Text is scanned again once this many characters came after the last release. */
const releaseStep = 64;

/** The text of one content block not yet sent to the client. */
interface Held {
  readonly index: number;
  readonly kind: 'text' | 'tool';
  text: string;
}

function deltaOf(held: Held, text: string): ChatStreamEvent {
  return held.kind === 'text'
    ? { type: 'text_delta', index: held.index, text }
    : { type: 'tool_call_delta', index: held.index, argumentsDelta: text };
}

/**
 * Output guardrails on a stream, with a sliding window (decision 0021). Text and tool-call
 * arguments are held back per content block; a prefix is released only once `streamWindowChars`
 * characters came after it, so a match (at most that long) is seen whole before any of it leaves
 * and a mask applies before the text reaches the client. A release never cuts a match in two. A
 * block throws the guardrail's `content_policy` error: the relay ends the client stream with an
 * in-band error; the held text, which holds the match, is never sent. The block's end (its stop, the
 * next block, the message's stop) flushes what is held. Cost: each character is scanned about
 * (window + step) / step times, a constant: the work stays linear in the answer.
 */
export async function* guardStream(
  events: AsyncIterable<ChatStreamEvent>,
  check: TextCheck,
  window = streamWindowChars,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  let held: Held | undefined;
  for await (const event of events) {
    const isDelta = event.type === 'text_delta' || event.type === 'tool_call_delta';
    if (held !== undefined && (!isDelta || event.index !== held.index)) {
      const rest = check.apply(held.text);
      if (rest !== '') yield deltaOf(held, rest);
      held = undefined;
    }
    if (!isDelta) {
      yield event;
      continue;
    }
    const text = event.type === 'text_delta' ? event.text : event.argumentsDelta;
    held ??= { index: event.index, kind: event.type === 'text_delta' ? 'text' : 'tool', text: '' };
    held.text += text;
    if (held.text.length < window + releaseStep) continue;
    const scan = check.scan(held.text);
    let cut = held.text.length - window;
    // Never cut a match in two: the cut moves back to the start of a match across it (matches
    // longer than the window excepted, so that what is held stays bounded).
    for (let moved = true; moved;) {
      moved = false;
      for (const hit of scan.hits) {
        if (hit.start < cut && hit.end > cut && hit.end - hit.start <= window) {
          cut = hit.start;
          moved = true;
        }
      }
    }
    const released = check.release(held.text, scan, cut);
    held.text = held.text.slice(cut);
    if (released !== '') yield deltaOf(held, released);
  }
  if (held !== undefined) {
    const rest = check.apply(held.text);
    if (rest !== '') yield deltaOf(held, rest);
  }
}
