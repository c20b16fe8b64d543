import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { Usage } from '../core/usage.ts';

/** How a continuation was asked for: prefill (it goes on from the text) or a plain "continue" turn. */
export type ContinuationMode = 'prefill' | 'plain';

/** Characters of a plain continuation held back to find text it repeats (bounded: linear work). */
const overlapWindow = 2048;
/** A repeat shorter than this is taken for a coincidence (a space, a letter), not trimmed. */
const minimumOverlap = 4;

/**
 * One client stream made of several upstream attempts: the first attempt's events pass through;
 * after a cut, a continuation's events are spliced in so that the client sees one message (one
 * `message_start`, block indexes that go on, the cut text block carried on, one `message_stop` and
 * one usage: the sum of every attempt's). It also tracks what the client received: the text (what
 * a continuation continues from) and whether a tool call started (a cut there is not spliced).
 */
export class StreamSplice {
  /** The text delivered to the client so far, over every attempt. */
  text = '';
  /** Whether a tool call started: its arguments cannot be continued by a model faithfully. */
  toolCallStarted = false;
  private nextIndex = 0;
  /** The client index of the text block open at the cut (continued by the next text). */
  private openText: number | undefined;
  /** Client indexes of blocks opened and not stopped. */
  private readonly open = new Set<number>();
  private readonly openIsText = new Map<number, boolean>();
  /** Upstream index → client index, for the current continuation (undefined: the first attempt). */
  private indexes: Map<number, number> | undefined;
  /** Upstream indexes of the continuation's dropped (reasoning) blocks. */
  private readonly dropped = new Set<number>();
  /** Usage of the attempts before the current one. */
  private earlier: Usage | undefined;
  /** A plain continuation's text held back until its repeat of delivered text is known. */
  private held: { text: string; index: number } | undefined;
  private trimming = false;
  /** Leading whitespace of a prefill continuation to drop: the delivered text's trailing whitespace, left out of the prefill. */
  private dropWhitespace = 0;

  /**
   * Starts splicing a continuation after a cut: the events to send the client first (the stop of
   * a reasoning block left open; a text block stays open for the continuation), and the usage the
   * cut attempt is accounted with. `trimmedWhitespace`: characters of trailing whitespace left
   * out of a prefill (providers refuse a prefill ending in whitespace); the model writes them again.
   */
  continueAfterCut(cutUsage: Usage, mode: ContinuationMode, trimmedWhitespace = 0): ChatStreamEvent[] {
    this.earlier = this.earlier === undefined ? cutUsage : addUsage(this.earlier, cutUsage);
    const closing: ChatStreamEvent[] = [];
    this.openText = undefined;
    for (const index of this.open) {
      if (this.openIsText.get(index) === true) this.openText = index;
      else closing.push({ type: 'content_block_stop', index });
    }
    for (const event of closing) this.observeClient(event);
    this.indexes = new Map();
    this.dropped.clear();
    this.held = undefined;
    this.trimming = mode === 'plain' && this.text.length > 0;
    this.dropWhitespace = mode === 'prefill' ? trimmedWhitespace : 0;
    return closing;
  }

  /** The events to send the client for one upstream event of the current attempt. */
  map(event: ChatStreamEvent): ChatStreamEvent[] {
    if (this.indexes === undefined) {
      this.observeClient(event);
      return [event];
    }
    const out: ChatStreamEvent[] = [];
    switch (event.type) {
      case 'message_start':
        return out;
      case 'reasoning_delta':
      case 'reasoning_signature':
      case 'redacted_reasoning':
        // Reasoning belongs before the answer's text; a continuation's is not the client's.
        this.dropped.add(event.index);
        return out;
      case 'text_delta': {
        const text = this.withoutRewrittenWhitespace(event.text);
        if (text.length === 0) return out;
        if (this.trimming) return this.hold(event.index, text);
        this.emit({ type: 'text_delta', index: this.clientIndex(event.index, true), text }, out);
        return out;
      }
      case 'tool_call_start':
      case 'tool_call_delta':
        this.flush(out);
        this.emit({ ...event, index: this.clientIndex(event.index, false) }, out);
        return out;
      case 'content_block_stop': {
        if (this.dropped.has(event.index)) return out;
        this.flush(out);
        const index = this.indexes.get(event.index);
        if (index !== undefined) this.emit({ type: 'content_block_stop', index }, out);
        return out;
      }
      case 'message_stop':
        this.flush(out);
        this.emit(event, out);
        return out;
      case 'usage':
        this.emit(this.total(event.usage), out);
        return out;
    }
  }

  /** The final usage event for the client: this attempt's plus every earlier attempt's. */
  private total(usage: Usage): ChatStreamEvent {
    return { type: 'usage', usage: this.earlier === undefined ? usage : addUsage(this.earlier, usage) };
  }

  private clientIndex(upstream: number, text: boolean): number {
    const indexes = this.indexes ?? new Map<number, number>();
    let index = indexes.get(upstream);
    if (index === undefined) {
      if (text && this.openText !== undefined) index = this.openText;
      else index = this.nextIndex;
      this.openText = undefined;
      indexes.set(upstream, index);
    }
    return index;
  }

  /** `text` without the leading whitespace a prefill continuation writes again. */
  private withoutRewrittenWhitespace(text: string): string {
    if (this.dropWhitespace === 0) return text;
    let cut = 0;
    while (cut < this.dropWhitespace && cut < text.length && /\s/.test(text.charAt(cut))) cut += 1;
    this.dropWhitespace = cut === text.length ? this.dropWhitespace - cut : 0;
    return text.slice(cut);
  }

  /** Holds a plain continuation's text until it can be compared with what the client has. */
  private hold(index: number, text: string): ChatStreamEvent[] {
    const held = (this.held ??= { text: '', index });
    held.text += text;
    const out: ChatStreamEvent[] = [];
    if (held.text.length >= Math.min(overlapWindow, this.text.length)) this.flush(out);
    return out;
  }

  /** Sends the held text without the part that repeats the end of the delivered text. */
  private flush(out: ChatStreamEvent[]): void {
    this.trimming = false;
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    const overlap = repeatedPrefix(this.text.slice(-overlapWindow), held.text);
    const rest = held.text.slice(overlap >= minimumOverlap ? overlap : 0);
    if (rest.length > 0)
      this.emit({ type: 'text_delta', index: this.clientIndex(held.index, true), text: rest }, out);
  }

  private emit(event: ChatStreamEvent, out: ChatStreamEvent[]): void {
    this.observeClient(event);
    out.push(event);
  }

  /** Tracks what the client received. */
  private observeClient(event: ChatStreamEvent): void {
    switch (event.type) {
      case 'text_delta':
        this.text += event.text;
        this.opened(event.index, true);
        return;
      case 'reasoning_delta':
      case 'reasoning_signature':
      case 'redacted_reasoning':
        this.opened(event.index, false);
        return;
      case 'tool_call_start':
        this.toolCallStarted = true;
        this.opened(event.index, false);
        return;
      case 'tool_call_delta':
        this.opened(event.index, false);
        return;
      case 'content_block_stop':
        this.open.delete(event.index);
        return;
      case 'message_start':
      case 'message_stop':
      case 'usage':
        return;
    }
  }

  private opened(index: number, text: boolean): void {
    if (!this.open.has(index)) {
      this.open.add(index);
      this.openIsText.set(index, text);
    }
    if (index >= this.nextIndex) this.nextIndex = index + 1;
  }
}

/**
 * The length of the longest prefix of `next` that is a suffix of `delivered` (what a plain
 * continuation repeats), by the prefix function of `next + separator + delivered`: linear.
 */
export function repeatedPrefix(delivered: string, next: string): number {
  const text = `${next}\u0000${delivered}`;
  const prefix = new Int32Array(text.length);
  for (let position = 1; position < text.length; position += 1) {
    let length = prefix[position - 1] ?? 0;
    while (length > 0 && text[position] !== text[length]) length = prefix[length - 1] ?? 0;
    if (text[position] === text[length]) length += 1;
    prefix[position] = length;
  }
  return Math.min(prefix[text.length - 1] ?? 0, next.length);
}

/** The sum of two attempts' usage; estimated when either was. */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum = (x: number | undefined, y: number | undefined): number | undefined =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  const usage: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadInputTokens: sum(a.cacheReadInputTokens, b.cacheReadInputTokens),
    cacheWriteInputTokens: sum(a.cacheWriteInputTokens, b.cacheWriteInputTokens),
    reasoningTokens: sum(a.reasoningTokens, b.reasoningTokens),
  };
  return a.estimated === true || b.estimated === true ? { ...usage, estimated: true } : usage;
}
