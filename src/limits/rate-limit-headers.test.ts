import { describe, expect, it } from 'vitest';
import { buildLimitPlan } from './limit-plan.ts';
import { RateLimitHeaders, rateLimitHeaders } from './rate-limit-headers.ts';

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

  it('renders again and again from one RateLimitHeaders, as rateLimitHeaders does', () => {
    const plan = buildLimitPlan('t:acme', 'tenant', { rpm: 600, tpm: 200_000, maxConcurrency: 4 });
    const headers = new RateLimitHeaders(plan.policies);
    for (const remaining of [599, 598, 0]) {
      const states = [
        { key: 'rl:t:acme:rpm', limit: 600, remaining, resetMs: 1500 },
        { key: 'rl:t:acme:tpm', limit: 200_000, remaining: remaining * 100, resetMs: 0 },
        { key: 'cc:t:acme', limit: 4, remaining: 1, resetMs: 0 },
      ];
      expect(headers.render(states)).toEqual(rateLimitHeaders(plan.policies, states));
      expect(headers.render(states)['x-ratelimit-remaining-requests']).toBe(String(remaining));
    }
  });

  it('takes the last state of a repeated key, the lowest remaining of a kind, and skips a policy without state', () => {
    const tenant = buildLimitPlan('t:acme', 'tenant', { rpm: 600, maxConcurrency: 4 });
    const key = buildLimitPlan('k:one', 'key', { rpm: 60 });
    const headers = new RateLimitHeaders([...tenant.policies, ...key.policies]);
    expect(
      headers.render([
        { key: 'rl:t:acme:rpm', limit: 600, remaining: 1, resetMs: 0 },
        { key: 'rl:k:one:rpm', limit: 60, remaining: 7, resetMs: 2001 },
        { key: 'rl:t:acme:rpm', limit: 600, remaining: 500, resetMs: 100 },
      ]),
    ).toEqual({
      'ratelimit-policy':
        '"tenant-rpm";q=600;w=60, "tenant-concurrency";q=4;qu="concurrent-requests", "key-rpm";q=60;w=60',
      ratelimit: '"tenant-rpm";r=500;t=1, "key-rpm";r=7;t=3',
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '7',
    });
  });
});
