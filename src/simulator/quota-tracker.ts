import type { Clock } from '../core/clock.ts';

/** Requests and tokens per minute for one quota key. */
export interface QuotaLimit {
  readonly rpm: number;
  readonly tpm: number;
}

/** Spare capacity of one key right now. */
export interface QuotaRemaining {
  /** Requests that could start now. */
  readonly requests: number;
  /** Tokens that could be reserved now. */
  readonly tokens: number;
  /** Milliseconds until the request bucket is full again. */
  readonly resetRequestsMs: number;
  /** Milliseconds until the token bucket is full again. */
  readonly resetTokensMs: number;
}

/** Why an acquisition failed, and when it could succeed. */
export interface QuotaRefusal {
  readonly reason: 'rpm' | 'tpm';
  readonly retryAfterMs: number;
}

interface Bucket {
  requests: number;
  tokens: number;
  at: number;
}

/**
 * Per-minute quotas as two token buckets per key (requests and tokens), refilled continuously, full
 * at start: a burst of up to `rpm` requests passes, then `rpm / 60` per second, which is how the
 * providers' per-minute quotas behave. Tokens are reserved up front and reconciled afterwards.
 */
export class QuotaTracker {
  private readonly buckets = new Map<string, Bucket>();
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  private refill(key: string, limit: QuotaLimit): Bucket {
    const now = this.clock.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { requests: limit.rpm, tokens: limit.tpm, at: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsed = Math.max(0, now - bucket.at);
    bucket.requests = Math.min(limit.rpm, bucket.requests + (elapsed * limit.rpm) / 60_000);
    bucket.tokens = Math.min(limit.tpm, bucket.tokens + (elapsed * limit.tpm) / 60_000);
    bucket.at = now;
    return bucket;
  }

  /** Spare capacity of `key` now. */
  remaining(key: string, limit: QuotaLimit): QuotaRemaining {
    const bucket = this.refill(key, limit);
    return {
      requests: Math.floor(bucket.requests),
      tokens: Math.max(0, Math.floor(bucket.tokens)),
      resetRequestsMs: Math.ceil(((limit.rpm - bucket.requests) * 60_000) / limit.rpm),
      resetTokensMs: Math.ceil(((limit.tpm - bucket.tokens) * 60_000) / limit.tpm),
    };
  }

  /** Whether one request reserving `tokens` would pass now (nothing is taken). */
  wouldAdmit(key: string, limit: QuotaLimit, tokens: number): boolean {
    const bucket = this.refill(key, limit);
    return bucket.requests >= 1 && bucket.tokens >= Math.min(tokens, limit.tpm);
  }

  /** Takes one request and reserves `tokens`, atomically; undefined on success. */
  acquire(key: string, limit: QuotaLimit, tokens: number): QuotaRefusal | undefined {
    const bucket = this.refill(key, limit);
    if (bucket.requests < 1) {
      return { reason: 'rpm', retryAfterMs: Math.ceil(((1 - bucket.requests) * 60_000) / limit.rpm) };
    }
    // A reservation larger than the whole quota can never pass; it is judged against a full bucket.
    const needed = Math.min(tokens, limit.tpm);
    if (bucket.tokens < needed) {
      return { reason: 'tpm', retryAfterMs: Math.ceil(((needed - bucket.tokens) * 60_000) / limit.tpm) };
    }
    bucket.requests -= 1;
    bucket.tokens -= tokens;
    return undefined;
  }

  /** Adds back (positive) or charges (negative) tokens after the real usage is known. */
  adjust(key: string, limit: QuotaLimit, tokens: number): void {
    const bucket = this.refill(key, limit);
    bucket.tokens = Math.min(limit.tpm, bucket.tokens + tokens);
  }

  /** Forgets every bucket (all full again). */
  reset(): void {
    this.buckets.clear();
  }
}
