import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { Usage } from '../../core/usage.ts';

type Block = { kind: 'text'; text: string } | { kind: 'tool'; id: string; name: string; args: string };

/**
 * Rebuilds the complete answer of a canonical stream, as it passes, so that a streamed answer can
 * be cached and replayed as JSON or as a stream. Work and memory are linear in the answer. An event
 * it does not know (a kind of content the canonical model grew later) makes the answer
 * unrebuildable: `answer()` is then undefined and nothing is cached, rather than a partial answer.
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
      default:
        this.unknown = true;
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
      content.push(
        block.kind === 'text'
          ? { type: 'text', text: block.text }
          : { type: 'tool_call', id: block.id, name: block.name, arguments: block.args },
      );
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
