import type { ChatRequest } from '../core/chat-request.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';

/** Characters per token of the usual rough estimate (OpenAI's "about 4 characters per token"). */
const charactersPerToken = 4;
/** Tokens an image costs in the estimate: between the providers' small and large image costs. */
const imageTokens = 1000;
/** Per-message framing tokens (role markers and separators). */
const messageOverheadTokens = 4;
/** Output tokens assumed when the client sets no max_tokens. */
export const defaultOutputTokens = 1024;

/**
 * Estimated prompt tokens of a chat request: ≈ characters / 4, plus image and framing allowances.
 * Used for tpm reservations (reconciled with real usage later) and the context-window filter.
 */
export function estimatePromptTokens(request: ChatRequest): number {
  let characters = request.system?.length ?? 0;
  let extra = 0;
  for (const message of request.messages) {
    extra += messageOverheadTokens;
    for (const part of message.content) {
      switch (part.type) {
        case 'text':
          characters += part.text.length;
          break;
        case 'image':
          extra += imageTokens;
          break;
        case 'tool_call':
          characters += part.name.length + part.arguments.length;
          break;
        case 'tool_result':
          characters += part.content.length;
          break;
        case 'reasoning':
          characters += part.text.length;
          break;
        case 'redacted_reasoning':
          characters += part.data.length;
          break;
      }
    }
  }
  for (const tool of request.tools ?? []) {
    characters += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  }
  return Math.ceil(characters / charactersPerToken) + extra;
}

/** Estimated input tokens of an embeddings request. */
export function estimateEmbeddingTokens(request: EmbeddingRequest): number {
  let characters = 0;
  for (const text of request.input) characters += text.length;
  return Math.ceil(characters / charactersPerToken) + request.input.length;
}
