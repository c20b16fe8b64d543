import type { StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';
import { anthropicErrorBody } from './anthropic-error.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { streamInterrupted } from '../../errors/upstream-errors.ts';
import { anthropicStopReason, anthropicUsage } from './anthropic-messages-response.ts';
import type { StreamRenderer } from '../stream-renderer.ts';

const ping = 'event: ping\ndata: {"type":"ping"}\n\n';

function frame(name: string, json: string): string {
  return `event: ${name}\ndata: ${json}\n\n`;
}

/**
 * Anthropic Messages SSE: named events (message_start, ping, content_block_start/delta/stop,
 * message_delta with the stop reason and cumulative usage, message_stop).
 * https://docs.claude.com/en/docs/build-with-claude/streaming
 *
 * The canonical stream ends `message_stop` then `usage`; Anthropic's `message_delta` carries both,
 * so the stop reason waits for the usage (or the end of the stream).
 */
export class AnthropicStreamRenderer implements StreamRenderer {
  private readonly model: string;
  private readonly fallbackId: string;
  private started = false;
  /** Content blocks opened and not yet closed. */
  private readonly openBlocks = new Set<number>();
  private stopReason: StopReason | undefined;
  private stopSequence: string | undefined;
  private finished = false;
  /** A usage event that came before message_stop (the canonical order is the reverse). */
  private pendingUsage: string | undefined;

  constructor(options: { model: string; fallbackId: string }) {
    this.model = options.model;
    this.fallbackId = options.fallbackId;
  }

  /** message_start, with the input counts as the upstream (or the gateway's estimate) gave them. */
  private start(id: string, usage: Usage | undefined): string {
    this.started = true;
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsage(usage ?? { inputTokens: 0, outputTokens: 0 }),
    };
    return frame('message_start', `{"type":"message_start","message":${JSON.stringify(message)}}`) + ping;
  }

  private startIfNeeded(): string {
    return this.started ? '' : this.start(this.fallbackId, undefined);
  }

  private finish(usageJson: string): string {
    this.finished = true;
    const delta = {
      stop_reason: anthropicStopReason(this.stopReason ?? 'end_turn'),
      stop_sequence: this.stopSequence ?? null,
    };
    return (
      frame(
        'message_delta',
        `{"type":"message_delta","delta":${JSON.stringify(delta)},"usage":${usageJson}}`,
      ) + frame('message_stop', '{"type":"message_stop"}')
    );
  }

  event(event: ChatStreamEvent): string {
    switch (event.type) {
      case 'message_start':
        if (this.started) return '';
        return this.start(event.id, event.usage);
      case 'text_delta':
        return this.blockDelta(
          event.index,
          'text',
          `{"type":"text_delta","text":${JSON.stringify(event.text)}}`,
        );
      case 'reasoning_delta':
        return this.blockDelta(
          event.index,
          'thinking',
          `{"type":"thinking_delta","thinking":${JSON.stringify(event.text)}}`,
        );
      case 'reasoning_signature':
        return this.blockDelta(
          event.index,
          'thinking',
          `{"type":"signature_delta","signature":${JSON.stringify(event.signature)}}`,
        );
      case 'redacted_reasoning': {
        this.openBlocks.add(event.index);
        const block = JSON.stringify({ type: 'redacted_thinking', data: event.data });
        return (
          this.startIfNeeded() +
          frame(
            'content_block_start',
            `{"type":"content_block_start","index":${event.index},"content_block":${block}}`,
          )
        );
      }
      case 'tool_call_start': {
        this.openBlocks.add(event.index);
        const block = { type: 'tool_use', id: event.id, name: event.name, input: {} };
        return (
          this.startIfNeeded() +
          frame(
            'content_block_start',
            `{"type":"content_block_start","index":${event.index},"content_block":${JSON.stringify(block)}}`,
          )
        );
      }
      case 'tool_call_delta': {
        const partial = JSON.stringify(event.argumentsDelta);
        return frame(
          'content_block_delta',
          `{"type":"content_block_delta","index":${event.index},"delta":{"type":"input_json_delta","partial_json":${partial}}}`,
        );
      }
      case 'content_block_stop':
        if (!this.openBlocks.delete(event.index)) return '';
        return frame('content_block_stop', `{"type":"content_block_stop","index":${event.index}}`);
      case 'message_stop':
        this.stopReason = event.stopReason;
        this.stopSequence = event.stopSequence;
        return this.pendingUsage === undefined
          ? this.closeOpenBlocks()
          : this.closeOpenBlocks() + this.finish(this.pendingUsage);
      case 'usage': {
        if (this.finished) return '';
        const usage = JSON.stringify(anthropicUsage(event.usage));
        if (this.stopReason !== undefined) return this.finish(usage);
        this.pendingUsage = usage;
        return '';
      }
    }
  }

  /** A delta of a text or thinking block, opening the block on its first delta. */
  private blockDelta(index: number, kind: 'text' | 'thinking', deltaJson: string): string {
    let out = this.startIfNeeded();
    if (!this.openBlocks.has(index)) {
      this.openBlocks.add(index);
      const block =
        kind === 'text' ? '{"type":"text","text":""}' : '{"type":"thinking","thinking":"","signature":""}';
      out += frame(
        'content_block_start',
        `{"type":"content_block_start","index":${index},"content_block":${block}}`,
      );
    }
    return (
      out +
      frame('content_block_delta', `{"type":"content_block_delta","index":${index},"delta":${deltaJson}}`)
    );
  }

  /** Blocks the upstream never closed are closed before message_delta, as the SDK expects. */
  private closeOpenBlocks(): string {
    let out = '';
    for (const index of this.openBlocks) {
      out += frame('content_block_stop', `{"type":"content_block_stop","index":${index}}`);
    }
    this.openBlocks.clear();
    return out;
  }

  end(): string {
    if (this.finished) return '';
    if (this.stopReason === undefined) throw streamInterrupted('upstream stream ended before it finished');
    // A stop without a usage event: report what we know rather than invent counts.
    return this.finish('{"output_tokens":0}');
  }

  error(error: GatewayError): string {
    return frame('error', JSON.stringify(anthropicErrorBody(error)));
  }
}
