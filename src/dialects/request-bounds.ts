import { invalidRequest } from '../errors/gateway-error.ts';

/**
 * Count bounds of a chat request body, checked before any validation or translation so that the
 * work a body can cause is bounded by these numbers as well as by `server.max_body_bytes`. Every
 * step after them is linear; the bounds keep the worst case small as well as linear. Generous
 * on purpose: far above what the providers themselves accept in one request.
 */
export const requestBounds = {
  /** Entries of `messages`. */
  maxMessages: 10_000,
  /** Content parts of one message (`content` array, OpenAI `tool_calls`, Anthropic `system` and tool_result content). */
  maxContentParts: 1_000,
  /** Entries of `tools`. */
  maxTools: 1_000,
  /**
   * Texts of one embeddings request (OpenAI's own limit). Titan embeds one text per upstream call,
   * so this also bounds the calls one request fans out to.
   */
  maxEmbeddingInputs: 2_048,
} as const;

/** Throws a 400 naming `param` when `value` is an array of more than `max` entries. */
export function checkArrayBound(value: unknown, max: number, param: string, what: string): void {
  if (Array.isArray(value) && value.length > max) {
    throw invalidRequest(`${param}: at most ${max} ${what} are accepted (got ${value.length})`, param);
  }
}

/** A JSON object (not an array, not null): what the bounds checks look into. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the counts both chat dialects share: `messages`, the content parts of each message (and,
 * with `partLists`, further per-message arrays such as OpenAI's `tool_calls`), and `tools`.
 * Constant work per message; nothing is validated beyond the counts (the schema does that).
 */
export function checkChatBodyBounds(body: unknown, partLists: readonly string[] = []): void {
  if (!isObject(body)) return;
  const messages = body.messages;
  checkArrayBound(messages, requestBounds.maxMessages, 'messages', 'messages');
  if (Array.isArray(messages)) {
    for (let index = 0; index < messages.length; index += 1) {
      const entry: unknown = messages[index];
      if (!isObject(entry)) continue;
      checkArrayBound(
        entry.content,
        requestBounds.maxContentParts,
        `messages[${index}].content`,
        'content parts',
      );
      for (const list of partLists) {
        checkArrayBound(entry[list], requestBounds.maxContentParts, `messages[${index}].${list}`, 'entries');
      }
    }
  }
  checkArrayBound(body.tools, requestBounds.maxTools, 'tools', 'tools');
}
