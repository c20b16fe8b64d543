import type { StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { streamInterrupted } from '../../errors/upstream-errors.ts';
import { openaiErrorBody } from '../openai-chat/openai-error.ts';
import type { StreamRenderer } from '../stream-renderer.ts';
import {
  type ResponseEcho,
  functionCallItem,
  incompleteReason,
  itemId,
  messageItem,
  outputTextPart,
  reasoningItem,
  responseObject,
  summaryPart,
} from './openai-responses-response.ts';

/** An output item the stream has opened and not closed yet. */
type OpenItem =
  | { readonly kind: 'message'; readonly id: string; readonly outputIndex: number; text: string }
  | {
      readonly kind: 'function_call';
      readonly id: string;
      readonly outputIndex: number;
      readonly callId: string;
      readonly name: string;
      arguments: string;
    }
  | {
      readonly kind: 'reasoning';
      readonly id: string;
      readonly outputIndex: number;
      text: string;
      signature: string | undefined;
      /** Set for a redacted block (which has no summary part). */
      redacted: string | undefined;
    };

/**
 * The Responses API stream: `event: <type>` / `data: <json>` frames, each with its
 * `sequence_number`: response.created, response.in_progress; per text block a message item
 * (output_item.added, content_part.added, output_text.delta…, output_text.done, content_part.done,
 * output_item.done); per tool call a function_call item (output_item.added,
 * function_call_arguments.delta…, .done, output_item.done); per reasoning block a reasoning item
 * whose text is its one summary part (output_item.added, reasoning_summary_part.added,
 * reasoning_summary_text.delta…, .done, reasoning_summary_part.done, output_item.done; a redacted
 * block has no summary part); then response.completed, or
 * response.incomplete when the output was cut short. No `[DONE]`: the API sends none.
 */
export class OpenaiResponsesStreamRenderer implements StreamRenderer {
  private readonly model: string;
  private readonly created: number;
  private readonly echo: ResponseEcho;
  private id: string;
  private sequence = 0;
  /** The output index the next item gets. */
  private nextOutputIndex = 0;
  /** Closed output items, at their output index. */
  private readonly output: unknown[] = [];
  /** Canonical content block index → the item it opened. */
  private readonly open = new Map<number, OpenItem>();
  private stopReason: StopReason | undefined;
  private usage: Usage | undefined;

  constructor(options: { model: string; created: number; echo: ResponseEcho; fallbackId: string }) {
    this.model = options.model;
    this.created = options.created;
    this.echo = options.echo;
    this.id = options.fallbackId;
  }

  private frame(type: string, fields: Record<string, unknown>): string {
    const data = JSON.stringify({ type, sequence_number: this.sequence, ...fields });
    this.sequence += 1;
    return `event: ${type}\ndata: ${data}\n\n`;
  }

  /**
   * A delta frame, written by hand: the one frame per upstream delta, so the hot path of a stream
   * (the same JSON as `frame` would write, about six times cheaper than an object and JSON.stringify).
   */
  private deltaFrame(type: string, item: OpenItem, index: string, delta: string, suffix: string): string {
    const sequence = this.sequence;
    this.sequence += 1;
    return `event: ${type}\ndata: {"type":"${type}","sequence_number":${sequence},"item_id":${JSON.stringify(item.id)},"output_index":${item.outputIndex}${index},"delta":${JSON.stringify(delta)}${suffix}}\n\n`;
  }

  private lifecycle(type: string, status: 'in_progress' | 'completed' | 'incomplete'): string {
    const state = {
      id: this.id,
      model: this.model,
      created: this.created,
      status,
      output: this.output,
      stopReason: status === 'in_progress' ? undefined : this.stopReason,
      usage: status === 'in_progress' ? undefined : this.usage,
    };
    return this.frame(type, { response: responseObject(state, this.echo) });
  }

  private openMessage(index: number): { item: OpenItem; frames: string } {
    const outputIndex = this.nextOutputIndex++;
    const item: OpenItem = {
      kind: 'message',
      id: itemId('msg', this.id, outputIndex),
      outputIndex,
      text: '',
    };
    this.open.set(index, item);
    const frames =
      this.frame('response.output_item.added', {
        output_index: outputIndex,
        item: messageItem(item.id, 'in_progress', undefined),
      }) +
      this.frame('response.content_part.added', {
        item_id: item.id,
        output_index: outputIndex,
        content_index: 0,
        part: outputTextPart(''),
      });
    return { item, frames };
  }

  private close(index: number): string {
    const item = this.open.get(index);
    if (item === undefined) return '';
    this.open.delete(index);
    const at = { item_id: item.id, output_index: item.outputIndex };
    if (item.kind === 'message') {
      const done = messageItem(item.id, 'completed', item.text);
      this.output[item.outputIndex] = done;
      return (
        this.frame('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] }) +
        this.frame('response.content_part.done', {
          ...at,
          content_index: 0,
          part: outputTextPart(item.text),
        }) +
        this.frame('response.output_item.done', { output_index: item.outputIndex, item: done })
      );
    }
    if (item.kind === 'reasoning') return this.closeReasoning(item);
    const call = { id: item.callId, name: item.name, arguments: item.arguments };
    const done = functionCallItem(item.id, 'completed', call);
    this.output[item.outputIndex] = done;
    return (
      this.frame('response.function_call_arguments.done', {
        ...at,
        name: item.name,
        arguments: item.arguments,
      }) + this.frame('response.output_item.done', { output_index: item.outputIndex, item: done })
    );
  }

  /** Opens a reasoning item (with its summary part unless it is a redacted block). */
  private openReasoning(index: number, redacted: string | undefined): string {
    const outputIndex = this.nextOutputIndex++;
    const id = itemId('rs', this.id, outputIndex);
    this.open.set(index, { kind: 'reasoning', id, outputIndex, text: '', signature: undefined, redacted });
    const added = this.frame('response.output_item.added', {
      output_index: outputIndex,
      item: { id, type: 'reasoning', status: 'in_progress', summary: [], encrypted_content: null },
    });
    if (redacted !== undefined) return added;
    return (
      added +
      this.frame('response.reasoning_summary_part.added', {
        item_id: id,
        output_index: outputIndex,
        summary_index: 0,
        part: summaryPart(''),
      })
    );
  }

  private closeReasoning(item: Extract<OpenItem, { kind: 'reasoning' }>): string {
    const part =
      item.redacted === undefined
        ? { type: 'reasoning' as const, text: item.text, signature: item.signature }
        : { type: 'redacted_reasoning' as const, data: item.redacted };
    const done = reasoningItem(item.id, 'completed', part);
    this.output[item.outputIndex] = done;
    const at = { item_id: item.id, output_index: item.outputIndex, summary_index: 0 };
    const summary =
      item.redacted === undefined
        ? this.frame('response.reasoning_summary_text.done', { ...at, text: item.text }) +
          this.frame('response.reasoning_summary_part.done', { ...at, part: summaryPart(item.text) })
        : '';
    return summary + this.frame('response.output_item.done', { output_index: item.outputIndex, item: done });
  }

  /** The open reasoning item of a block, opening it (with no frames lost) on the block's first event. */
  private reasoningAt(index: number): { item: OpenItem; frames: string } {
    const open = this.open.get(index);
    if (open !== undefined) return { item: open, frames: '' };
    const frames = this.openReasoning(index, undefined);
    return { item: this.open.get(index) as OpenItem, frames };
  }

  event(event: ChatStreamEvent): string {
    switch (event.type) {
      case 'message_start':
        if (event.id !== '') this.id = event.id;
        return (
          this.lifecycle('response.created', 'in_progress') +
          this.lifecycle('response.in_progress', 'in_progress')
        );
      case 'text_delta': {
        let frames = '';
        let item = this.open.get(event.index);
        if (item === undefined) ({ item, frames } = this.openMessage(event.index));
        if (item.kind !== 'message') return frames;
        item.text += event.text;
        return (
          frames +
          this.deltaFrame(
            'response.output_text.delta',
            item,
            ',"content_index":0',
            event.text,
            ',"logprobs":[]',
          )
        );
      }
      case 'tool_call_start': {
        const outputIndex = this.nextOutputIndex++;
        const item: OpenItem = {
          kind: 'function_call',
          id: itemId('fc', this.id, outputIndex),
          outputIndex,
          callId: event.id,
          name: event.name,
          arguments: '',
        };
        this.open.set(event.index, item);
        const call = { id: event.id, name: event.name, arguments: '' };
        return this.frame('response.output_item.added', {
          output_index: outputIndex,
          item: functionCallItem(item.id, 'in_progress', call),
        });
      }
      case 'tool_call_delta': {
        const item = this.open.get(event.index);
        if (item?.kind !== 'function_call') return '';
        item.arguments += event.argumentsDelta;
        return this.deltaFrame('response.function_call_arguments.delta', item, '', event.argumentsDelta, '');
      }
      case 'reasoning_delta': {
        const { item, frames } = this.reasoningAt(event.index);
        if (item.kind !== 'reasoning') return frames;
        item.text += event.text;
        return (
          frames +
          this.deltaFrame('response.reasoning_summary_text.delta', item, ',"summary_index":0', event.text, '')
        );
      }
      case 'reasoning_signature': {
        const { item, frames } = this.reasoningAt(event.index);
        if (item.kind === 'reasoning') item.signature = event.signature;
        return frames;
      }
      case 'redacted_reasoning':
        return this.openReasoning(event.index, event.data);
      case 'content_block_stop':
        // A block never opened is an empty, unsigned reasoning block (text and tool-call blocks
        // always open with their first event): it still is an item.
        if (!this.open.has(event.index))
          return this.reasoningAt(event.index).frames + this.close(event.index);
        return this.close(event.index);
      case 'message_stop': {
        this.stopReason = event.stopReason;
        let frames = '';
        for (const index of [...this.open.keys()]) frames += this.close(index);
        return frames;
      }
      case 'usage':
        this.usage = event.usage;
        return '';
    }
  }

  end(): string {
    if (this.stopReason === undefined) throw streamInterrupted('upstream stream ended before it finished');
    const incomplete = incompleteReason(this.stopReason) !== null;
    if (incomplete) {
      const last = this.output[this.output.length - 1] as Record<string, unknown> | undefined;
      if (last !== undefined) this.output[this.output.length - 1] = { ...last, status: 'incomplete' };
    }
    return incomplete
      ? this.lifecycle('response.incomplete', 'incomplete')
      : this.lifecycle('response.completed', 'completed');
  }

  error(error: GatewayError): string {
    // The nested form (`error: {type, code, message, param}`): the openai SDK throws it as an APIError
    // and the AI SDK reads it; the flat fields are the API's documented `error` event.
    const body = (
      openaiErrorBody(error) as { error: { code: string; message: string; param: string | null } }
    ).error;
    return this.frame('error', { code: body.code, message: body.message, param: body.param, error: body });
  }
}
