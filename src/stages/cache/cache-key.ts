import { createHash } from 'node:crypto';
import type { ChatRequest } from '../../core/chat-request.ts';

/**
 * The exact-match key of a canonical request: a SHA-256 over everything that changes the answer
 * (model group, system, messages, tools, tool choice, response format, sampling and stop
 * parameters, and any field the canonical request grows), and the scope (a tenant, or `*` for a
 * group whose cache is shared). Left out: `stream` (a streamed and a complete request share an
 * answer) and `user` (an end-user label, not an input of the model). Work is linear in the request.
 *
 * The client's dialect is not in the key: the same question asked through the OpenAI and the
 * Anthropic APIs is the same canonical request and gets the same answer.
 */
export function cacheKey(request: ChatRequest, scope: string): string {
  const hash = createHash('sha256');
  hash.update(scope);
  hash.update('\u0000');
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- left out of the key on purpose
  const { stream, user, ...answerInputs } = request;
  hash.update(JSON.stringify(answerInputs));
  return `${encodeURIComponent(request.model)}:${hash.digest('base64url')}`;
}
