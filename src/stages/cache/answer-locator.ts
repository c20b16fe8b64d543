import type { ChatRequest } from '../../core/chat-request.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import { cacheKey } from './cache-key.ts';

/** Where a kept answer was found: its store key and the headers a hit adds (e.g. a similarity). */
export interface Located {
  readonly key: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * How the response cache finds answers: the exact key of the canonical request, or the nearest
 * prompt of the same shape (semantic mode). `scope` is `t:<tenant>` or `*` (a shared cache).
 */
export interface AnswerLocator {
  /** The answer to look up for this request, or undefined (a miss). Never throws. */
  find(request: ChatRequest, context: RequestContext, scope: string): Promise<Located | undefined>;
  /**
   * The store key to keep this request's answer under for `ttlMs`, or undefined when it cannot be
   * kept (semantic: its prompt could not be embedded). Never throws.
   */
  place(
    request: ChatRequest,
    context: RequestContext,
    scope: string,
    ttlMs: number,
  ): Promise<string | undefined>;
}

/** Exact mode: the SHA-256 of the canonical request (cache-key.ts), computed once per request. */
export class ExactLocator implements AnswerLocator {
  private readonly keys = new WeakMap<ChatRequest, string>();

  private keyOf(request: ChatRequest, scope: string): string {
    let key = this.keys.get(request);
    if (key === undefined) {
      key = cacheKey(request, scope);
      this.keys.set(request, key);
    }
    return key;
  }

  find(request: ChatRequest, _context: RequestContext, scope: string): Promise<Located> {
    return Promise.resolve({ key: this.keyOf(request, scope) });
  }

  place(request: ChatRequest, _context: RequestContext, scope: string): Promise<string> {
    return Promise.resolve(this.keyOf(request, scope));
  }
}
