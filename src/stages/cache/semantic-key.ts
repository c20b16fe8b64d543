import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../core/chat-request.ts';

/** What semantic mode compares of a request: an exact shape, and the prompt text within it. */
export interface SemanticKey {
  /**
   * SHA-256 (base64url) of the scope and everything in the canonical request except `stream`, `user`
   * and the text of the last user turn: system, earlier turns, tools, tool choice, response format,
   * sampling and stop parameters must all be identical for two requests to share an answer.
   */
  readonly shape: string;
  /**
   * The last user turn's text, whitespace collapsed and trimmed: the part compared by embeddings.
   * Undefined when the last turn is not plain text (a tool result, an image): the shape then covers
   * the whole request and only an identical request matches.
   */
  readonly text: string | undefined;
  /** SHA-256 (base64url) of `text`: an identical prompt is a hit without an embedding call. */
  readonly textHash: string | undefined;
}

/** The semantic key of `request` in `scope`. Linear in the request. */
export function semanticKey(request: ChatRequest, scope: string): SemanticKey {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- left out of the key on purpose
  const { stream, user, ...answerInputs } = request;
  const last = request.messages.at(-1);
  let text: string | undefined;
  if (
    last?.role === 'user' &&
    last.content.length > 0 &&
    last.content.every((part) => part.type === 'text')
  ) {
    text = last.content
      .map((part) => part.text)
      .join('\n')
      .replace(/\s+/g, ' ')
      .trim();
    if (text === '') text = undefined;
  }
  const hash = createHash('sha256');
  hash.update(scope);
  hash.update('\u0000');
  hash.update(text === undefined ? 'whole' : 'turn');
  hash.update('\u0000');
  const shaped =
    text === undefined ? answerInputs : { ...answerInputs, messages: request.messages.slice(0, -1) };
  hash.update(JSON.stringify(shaped));
  return {
    shape: `${encodeURIComponent(request.model)}:${hash.digest('base64url')}`,
    text,
    textHash: text === undefined ? undefined : createHash('sha256').update(text).digest('base64url'),
  };
}
