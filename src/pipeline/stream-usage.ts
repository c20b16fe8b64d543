import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { Usage } from '../core/usage.ts';

/** Characters per token of the estimate (the same rule of thumb as the prompt estimate). */
const charactersPerToken = 4;

/**
 * What a relayed stream carried to the consumer, so that a stream that ends early (client abort,
 * shutdown, upstream failure after the commit) is still accounted: the upstream produced and billed
 * the tokens whether or not its final `usage` event arrived.
 */
export class StreamUsageCounter {
  private reported: Usage | undefined;
  private startUsage: Usage | undefined;
  private outputCharacters = 0;

  /** Counts one event handed to the consumer. */
  observe(event: ChatStreamEvent): void {
    switch (event.type) {
      case 'usage':
        this.reported = event.usage;
        break;
      case 'message_start':
        this.startUsage = event.usage;
        break;
      case 'text_delta':
      case 'reasoning_delta':
        this.outputCharacters += event.text.length;
        break;
      case 'redacted_reasoning':
        this.outputCharacters += event.data.length;
        break;
      case 'tool_call_start':
        this.outputCharacters += event.name.length;
        break;
      case 'tool_call_delta':
        this.outputCharacters += event.argumentsDelta.length;
        break;
      case 'reasoning_signature':
      case 'content_block_stop':
      case 'message_stop':
        break;
    }
  }

  /** The upstream's final usage report, if it arrived. */
  get reportedUsage(): Usage | undefined {
    return this.reported;
  }

  /**
   * The usage to account: the upstream's report when it arrived; otherwise an estimate marked
   * `estimated`, with the input from the upstream's start-of-stream usage (Anthropic reports it)
   * or `promptEstimate`, and the output from the characters delivered (about 4 per token).
   */
  usage(promptEstimate: number): Usage {
    if (this.reported !== undefined) return this.reported;
    const start = this.startUsage;
    return {
      inputTokens: start === undefined || start.estimated === true ? promptEstimate : start.inputTokens,
      outputTokens: Math.max(start?.outputTokens ?? 0, Math.ceil(this.outputCharacters / charactersPerToken)),
      cacheReadInputTokens: start?.cacheReadInputTokens,
      cacheWriteInputTokens: start?.cacheWriteInputTokens,
      estimated: true,
    };
  }
}
