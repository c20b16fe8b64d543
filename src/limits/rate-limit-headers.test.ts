import { describe, expect, it } from 'vitest';
import { buildLimitPlan } from './limit-plan.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';

describe('rateLimitHeaders', () => {
  it('renders the IETF fields and the x-ratelimit remaining counts', () => {
    const plan = buildLimitPlan('t:acme', 'tenant', { rpm: 600, tpm: 200_000, maxConcurrency: 4 });
    const headers = rateLimitHeaders(plan.policies, [
      { key: 'rl:t:acme:rpm', limit: 600, remaining: 599, resetMs: 100 },
      { key: 'rl:t:acme:tpm', limit: 200_000, remaining: 190_000, resetMs: 3000 },
      { key: 'cc:t:acme', limit: 4, remaining: 3, resetMs: 0 },
    ]);
    expect(headers).toEqual({
      'ratelimit-policy':
        '"tenant-rpm";q=600;w=60, "tenant-tpm";q=200000;w=60;gw-unit="tokens", "tenant-concurrency";q=4;qu="concurrent-requests"',
      ratelimit: '"tenant-rpm";r=599;t=1, "tenant-tpm";r=190000;t=3, "tenant-concurrency";r=3;t=0',
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-requests': '599',
      'x-ratelimit-remaining-tokens': '190000',
    });
  });

  it('is empty without limits', () => {
    expect(rateLimitHeaders(buildLimitPlan('k:x', 'key', {}).policies, [])).toEqual({});
  });
});
