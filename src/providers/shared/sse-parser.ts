import { badResponse } from '../../errors/upstream-errors.ts';

/** One server-sent event: its `event:` name ('' when the message had none) and joined `data:` lines. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/**
 * An incremental parser of `text/event-stream` (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * feed it bytes as they arrive, it returns the messages they complete. LF, CRLF and CR line ends;
 * comments (`:`) and `id`/`retry` fields are skipped; UTF-8 split across chunks is handled.
 */
/** Longest line accepted (16 Mi characters, as Bedrock's largest event frame): beyond it the stream is garbage. */
export const maxLineLength = 16 * 1024 * 1024;

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  private event = '';
  private data: string | undefined;
  /** True when the last byte seen was a CR, so a following LF belongs to the same line end. */
  private skipLeadingLf = false;

  /** Parses one chunk; returns the messages completed by it (often none or one). */
  push(chunk: Uint8Array): SseMessage[] {
    const text = this.decoder.decode(chunk, { stream: true });
    return this.parse(text);
  }

  /**
   * The input has ended. A message whose lines were all complete but which lacked the final blank
   * line is returned (servers often omit it at the very end); a partial line is dropped, so a cut
   * stream never yields half a message.
   */
  end(): SseMessage[] {
    const messages = this.parse(this.decoder.decode());
    const partialLine = this.pending.length > 0;
    this.pending = '';
    const last = this.dispatch();
    if (last !== undefined && !partialLine) messages.push(last);
    return messages;
  }

  /** True when bytes of an incomplete line or message are buffered. */
  get hasPartialMessage(): boolean {
    return this.pending.length > 0 || this.data !== undefined;
  }

  private parse(text: string): SseMessage[] {
    if (this.pending.length > 0 && text.indexOf('\n') === -1 && text.indexOf('\r') === -1) {
      // The pending line only grows: scanning it again per chunk was quadratic (a 40 MB line
      // blocked the event loop for seconds).
      this.pending += text;
      if (this.pending.length > maxLineLength) {
        throw badResponse(`event stream line longer than ${maxLineLength} characters`);
      }
      return [];
    }
    const messages: SseMessage[] = [];
    let buffer = this.pending.length === 0 ? text : this.pending + text;
    let start = 0;
    if (this.skipLeadingLf && buffer.charCodeAt(0) === 10) start = 1;
    this.skipLeadingLf = false;
    const length = buffer.length;
    // CRs are rare (most servers send LF): find the next one once, not once per line.
    let cr = buffer.indexOf('\r', start);
    while (start < length) {
      let end = buffer.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start);
      let next: number;
      if (cr !== -1 && (end === -1 || cr < end)) {
        end = cr;
        if (cr + 1 < length) next = buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        else {
          next = cr + 1;
          this.skipLeadingLf = true;
        }
      } else if (end === -1) {
        break;
      } else {
        next = end + 1;
      }
      this.line(buffer, start, end, messages);
      start = next;
    }
    buffer = start === 0 ? buffer : buffer.slice(start);
    this.pending = buffer;
    return messages;
  }

  private line(buffer: string, start: number, end: number, messages: SseMessage[]): void {
    if (start === end) {
      const message = this.dispatch();
      if (message !== undefined) messages.push(message);
      return;
    }
    const first = buffer.charCodeAt(start);
    if (first === 58 /* ':' comment */) return;
    const colon = buffer.indexOf(':', start);
    let field: string;
    let value: string;
    if (colon === -1 || colon >= end) {
      field = buffer.slice(start, end);
      value = '';
    } else {
      field = buffer.slice(start, colon);
      const valueStart = buffer.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1;
      value = buffer.slice(valueStart, end);
    }
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'event') this.event = value;
  }

  private dispatch(): SseMessage | undefined {
    const data = this.data;
    const event = this.event;
    this.data = undefined;
    this.event = '';
    // Per the spec a message without data is not dispatched.
    if (data === undefined) return undefined;
    return { event, data };
  }
}
