/** Exponential backoff settings: the n-th retry waits up to min(max_ms, base_ms · 2^n). */
export interface BackoffSettings {
  readonly base_ms: number;
  readonly max_ms: number;
}

/**
 * Delay before retry number `retry` (0 for the first retry): full jitter, uniform in
 * [0, min(max_ms, base_ms · 2^retry)] (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export function computeBackoffMs(retry: number, backoff: BackoffSettings, random: () => number): number {
  const ceiling = Math.min(backoff.max_ms, backoff.base_ms * Math.pow(2, retry));
  return Math.floor(random() * ceiling);
}

/** Delay before a retry: the jittered backoff, but never less than what the upstream asked for. */
export function retryDelayMs(
  retry: number,
  backoff: BackoffSettings,
  random: () => number,
  retryAfterMs: number | undefined,
): number {
  return Math.max(computeBackoffMs(retry, backoff, random), retryAfterMs ?? 0);
}
