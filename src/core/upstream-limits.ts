/**
 * What an upstream said about its own rate limits on one response (OpenAI `x-ratelimit-*`,
 * Anthropic `anthropic-ratelimit-*`), as the provider adapter classified it: the pipeline's
 * learned limits (src/routing/learned-limits.ts) decide what to do with it. Every field is
 * optional: an upstream sends what it sends.
 */
export interface UpstreamLimitHint {
  /** The upstream's request limit per window (its rpm). */
  readonly requestsLimit?: number | undefined;
  /** Requests left in the current window. */
  readonly requestsRemaining?: number | undefined;
  /** Milliseconds until the request window refills. */
  readonly requestsResetMs?: number | undefined;
  /** The upstream's token limit per window (its tpm). */
  readonly tokensLimit?: number | undefined;
  /** Tokens left in the current window. */
  readonly tokensRemaining?: number | undefined;
  /** Milliseconds until the token window refills. */
  readonly tokensResetMs?: number | undefined;
}
