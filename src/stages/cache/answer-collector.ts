import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';

type Block =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; id: string; name: string; args: string }
  | { kind: 'reasoning'; text: string; signature: string | undefined }
  | { kind: 'redacted'; data: string };

function partOf(block: Block): AssistantPart {
  switch (block.kind) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool':
      return { type: 'tool_call', id: block.id, name: block.name, arguments: block.args };
    case 'reasoning':
      return block.signature === undefined
        ? { type: 'reasoning', text: block.text }
        : { type: 'reasoning', text: block.text, signature: block.signature };
    case 'redacted':
      return { type: 'redacted_reasoning', data: block.data };
  }
}

/**
 * Rebuilds the complete answer of a canonical stream, as it passes, so that a streamed answer can
 * be cached and replayed as JSON or as a stream. Work and memory are linear in the answer. An event
 * that does not fit the blocks before it (a delta of another kind at the same index) makes
 * the answer unrebuildable: `answer()` is then undefined and nothing is cached, rather than a partial answer.
 */
export class AnswerCollector {
  private id = '';
  private model = '';
  private readonly blocks = new Map<number, Block>();
  private stopReason: StopReason | undefined;
  private stopSequence: string | undefined;
  private usage: Usage | undefined;
  private unknown = false;
  private bytes = 0;
  private readonly maxBytes: number;

  /** `maxBytes`: past this much text and arguments the answer is too large to keep (collection stops). */
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  add(event: ChatStreamEvent): void {
    if (this.unknown) return;
    // The switch is exhaustive (eslint): an event kind the canonical model grows must be handled here.
    switch (event.type) {
      case 'message_start':
        this.id = event.id;
        this.model = event.model;
        return;
      case 'text_delta': {
        const block = this.blocks.get(event.index);
        if (block === undefined) this.blocks.set(event.index, { kind: 'text', text: event.text });
        else if (block.kind === 'text') block.text += event.text;
        else this.unknown = true;
        this.grow(event.text.length);
        return;
      }
      case 'reasoning_delta': {
        const block = this.blocks.get(event.index);
        if (block === undefined)
          this.blocks.set(event.index, { kind: 'reasoning', text: event.text, signature: undefined });
        else if (block.kind === 'reasoning') block.text += event.text;
        else this.unknown = true;
        this.grow(event.text.length);
        return;
      }
      case 'reasoning_signature': {
        const block = this.blocks.get(event.index);
        if (block === undefined)
          this.blocks.set(event.index, { kind: 'reasoning', text: '', signature: event.signature });
        else if (block.kind === 'reasoning') block.signature = event.signature;
        else this.unknown = true;
        this.grow(event.signature.length);
        return;
      }
      case 'redacted_reasoning':
        this.blocks.set(event.index, { kind: 'redacted', data: event.data });
        this.grow(event.data.length);
        return;
      case 'tool_call_start':
        this.blocks.set(event.index, { kind: 'tool', id: event.id, name: event.name, args: '' });
        return;
      case 'tool_call_delta': {
        const block = this.blocks.get(event.index);
        if (block?.kind === 'tool') block.args += event.argumentsDelta;
        else this.unknown = true;
        this.grow(event.argumentsDelta.length);
        return;
      }
      case 'content_block_stop':
        return;
      case 'message_stop':
        this.stopReason = event.stopReason;
        this.stopSequence = event.stopSequence;
        return;
      case 'usage':
        this.usage = event.usage;
        return;
    }
  }

  private grow(characters: number): void {
    this.bytes += characters * 2;
    if (this.bytes > this.maxBytes) {
      this.unknown = true;
      this.blocks.clear();
    }
  }

  /** The complete answer, or undefined when the stream did not finish or could not be rebuilt. */
  answer(): ChatResponse | undefined {
    if (this.unknown || this.stopReason === undefined || this.usage === undefined) return undefined;
    const content: AssistantPart[] = [];
    for (const index of [...this.blocks.keys()].sort((a, b) => a - b)) {
      const block = this.blocks.get(index) as Block;
      content.push(partOf(block));
    }
    return {
      id: this.id,
      model: this.model,
      content,
      stopReason: this.stopReason,
      stopSequence: this.stopSequence,
      usage: this.usage,
    };
  }
}
