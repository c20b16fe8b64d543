import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../core/gateway-events.ts';
import type { Principal } from '../core/principal.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { TenantLimiter, type TenantAdmission } from './tenant-limiter.ts';

const leaseTtlMs = 60_000;

function principal(extra: Partial<Principal> = {}): Principal {
  return {
    tenant: 'acme',
    keyId: 'key-acme',
    tenantLimits: {},
    keyLimits: {},
    logBodies: false,
    modelLimits: { 'claude-sonnet': { rpm: 2 } },
    ...extra,
  };
}

describe('TenantLimiter per-model limits', () => {
  const stores: MemoryStateStore[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) void store.close();
  });

  function setup() {
    const clock = new FakeClock();
    const state = new MemoryStateStore(clock);
    stores.push(state);
    const events: GatewayEvent[] = [];
    const limiter = new TenantLimiter(state, pino({ level: 'silent' }), {
      emit: (event) => events.push(event),
    });
    let next = 0;
    const admit = (who: Principal, model: string, tokens = 10) => {
      next += 1;
      return limiter.admit(who, tokens, `lease-${next}`, leaseTtlMs, `req-${next}`, model);
    };
    return { clock, limiter, events, admit };
  }

  async function outcomes(attempts: Promise<TenantAdmission>[]): Promise<(TenantAdmission | GatewayError)[]> {
    const settled = await Promise.allSettled(attempts);
    return settled.map((result) => {
      if (result.status === 'fulfilled') return result.value;
      if (result.reason instanceof GatewayError) return result.reason;
      throw result.reason;
    });
  }

  it('admits exactly rpm of 5 concurrent requests to the limited group, with a 429 naming the policy', async () => {
    const { admit, events } = setup();
    const who = principal();
    const results = await outcomes([1, 2, 3, 4, 5].map(() => admit(who, 'claude-sonnet')));
    const admitted = results.filter((result) => !(result instanceof GatewayError));
    const rejected = results.filter((result) => result instanceof GatewayError);
    expect(admitted).toHaveLength(2);
    expect(rejected).toHaveLength(3);
    for (const error of rejected) {
      expect(error.status).toBe(429);
      expect(error.code).toBe('rate_limited');
      expect(error.message).toContain('tenant claude-sonnet rpm limit reached');
      expect(error.headers['retry-after']).toBe('30');
      expect(error.headers['ratelimit-policy']).toBe('"tenant-claude-sonnet-rpm";q=2;w=60');
      expect(error.headers.ratelimit).toBe('"tenant-claude-sonnet-rpm";r=0;t=60');
    }
    expect(admitted[0]?.headers['ratelimit-policy']).toBe('"tenant-claude-sonnet-rpm";q=2;w=60');
    expect(events.filter((event) => event.type === 'rate-limited')).toHaveLength(3);
    expect(events[0]).toMatchObject({ scope: 'tenant', tenant: 'acme', limit: 'rpm' });
  });

  it('leaves the tenant other groups and other tenants unaffected', async () => {
    const { admit } = setup();
    const who = principal();
    await outcomes([1, 2, 3].map(() => admit(who, 'claude-sonnet')));
    const haiku = await outcomes([1, 2, 3, 4, 5].map(() => admit(who, 'claude-haiku')));
    expect(haiku.every((result) => !(result instanceof GatewayError))).toBe(true);
    expect(haiku[0]?.headers).toEqual({});
    const other = principal({ tenant: 'globex', keyId: 'key-globex' });
    const sonnet = await outcomes([1, 2].map(() => admit(other, 'claude-sonnet')));
    expect(sonnet.every((result) => !(result instanceof GatewayError))).toBe(true);
  });

  it('refills the group at rpm per minute', async () => {
    const { admit, clock } = setup();
    const who = principal();
    await outcomes([1, 2].map(() => admit(who, 'claude-sonnet')));
    await expect(admit(who, 'claude-sonnet')).rejects.toBeInstanceOf(GatewayError);
    await clock.advance(30_000);
    // Half a minute refills one of the two: admitted, with none left.
    expect((await admit(who, 'claude-sonnet')).headers).toMatchObject({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '0',
    });
    await expect(admit(who, 'claude-sonnet')).rejects.toBeInstanceOf(GatewayError);
  });

  it('checks tenant and per-model limits in one reservation: a refusal by one counts in neither', async () => {
    const { admit } = setup();
    const who = principal({ tenantLimits: { rpm: 3 } });
    // Two sonnet requests use the tenant's rpm 2 of 3 and the group's 2 of 2.
    await outcomes([1, 2].map(() => admit(who, 'claude-sonnet')));
    // A third sonnet request is refused by the group; it must not use the tenant's last request.
    const refused = await outcomes([admit(who, 'claude-sonnet')]);
    expect(refused[0]).toBeInstanceOf(GatewayError);
    expect((refused[0] as GatewayError).headers['ratelimit-policy']).toBe(
      '"tenant-rpm";q=3;w=60, "tenant-claude-sonnet-rpm";q=2;w=60',
    );
    const haiku = await outcomes([admit(who, 'claude-haiku'), admit(who, 'claude-haiku')]);
    expect(haiku[0]).not.toBeInstanceOf(GatewayError);
    expect(haiku[1]).toBeInstanceOf(GatewayError);
    expect((haiku[1] as GatewayError).message).toContain('tenant rpm limit reached');
  });

  it('holds per-model concurrency until the reservation settles, and reconciles tpm', async () => {
    const { admit } = setup();
    const who = principal({ modelLimits: { 'claude-sonnet': { maxConcurrency: 1, tpm: 100 } } });
    const first = await admit(who, 'claude-sonnet', 60);
    const second = await outcomes([admit(who, 'claude-sonnet', 10)]);
    expect((second[0] as GatewayError).message).toContain('tenant claude-sonnet concurrency limit reached');
    first.reservation.settle(20);
    const third = await admit(who, 'claude-sonnet', 80);
    expect(third.headers['x-ratelimit-remaining-tokens']).toBe('0');
    third.reservation.settle(80);
    const fourth = await outcomes([admit(who, 'claude-sonnet', 10)]);
    expect(fourth[0]).toBeInstanceOf(GatewayError);
  });
});
