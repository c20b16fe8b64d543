/**
 * A failure to answer with, in protocol-neutral terms; each API renders it in its own wire shape
 * (Bedrock exception, OpenAI error body, Anthropic error body).
 */
export type SimFailure =
  | {
      /** A quota or rate limit refused the request. */
      readonly kind: 'rate';
      readonly reason: 'rpm' | 'tpm';
      readonly retryAfterMs: number;
      readonly message?: string | undefined;
    }
  | {
      /** The input does not fit the model's context window. */
      readonly kind: 'context_window';
      readonly inputTokens: number;
      readonly limit: number;
    }
  | {
      /** Any other error: the API picks its default code for the status unless `code` is given. */
      readonly kind: 'status';
      readonly status: number;
      readonly code?: string | undefined;
      readonly message?: string | undefined;
    };

/** A Go-style duration as OpenAI's reset headers use ("1s", "6m0s", "12ms"). */
export function formatGoDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const totalSeconds = ms / 1000;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = Math.round((totalSeconds - minutes * 60) * 1000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}
