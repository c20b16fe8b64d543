import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../test/support/fake-clock.ts';
import {
  cacheCredentials,
  credentialRefreshAheadMs,
  resolveBedrockAuth,
  type AwsCredentials,
} from './bedrock-credentials.ts';

const hour = 60 * 60 * 1000;

function countingSource(clock: FakeClock, lifetimeMs: number) {
  let calls = 0;
  const source = (): Promise<AwsCredentials> => {
    calls += 1;
    return Promise.resolve({
      accessKeyId: `ASIA${calls}`,
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date(clock.now() + lifetimeMs),
    });
  };
  return { source, calls: () => calls };
}

describe('cacheCredentials', () => {
  it('reuses credentials until five minutes before they expire, then refreshes', async () => {
    const clock = new FakeClock();
    const { source, calls } = countingSource(clock, hour);
    const provider = cacheCredentials(source, clock);
    expect((await provider()).accessKeyId).toBe('ASIA1');
    await clock.advance(hour - credentialRefreshAheadMs - 1);
    expect((await provider()).accessKeyId).toBe('ASIA1');
    await clock.advance(2);
    expect((await provider()).accessKeyId).toBe('ASIA2');
    expect(calls()).toBe(2);
  });

  it('shares one refresh between concurrent callers', async () => {
    const clock = new FakeClock();
    const { source, calls } = countingSource(clock, hour);
    const provider = cacheCredentials(source, clock);
    const all = await Promise.all([provider(), provider(), provider()]);
    expect(all.map((credentials) => credentials.accessKeyId)).toEqual(['ASIA1', 'ASIA1', 'ASIA1']);
    expect(calls()).toBe(1);
  });

  it('keeps still-valid credentials when an early refresh fails, and fails as auth once they expire', async () => {
    const clock = new FakeClock();
    let fail = false;
    const source = (): Promise<AwsCredentials> =>
      fail
        ? Promise.reject(new Error('sts unreachable'))
        : Promise.resolve({
            accessKeyId: 'ASIA',
            secretAccessKey: 's',
            expiration: new Date(clock.now() + hour),
          });
    const provider = cacheCredentials(source, clock);
    await provider();
    fail = true;
    await clock.advance(hour - 60_000);
    expect((await provider()).accessKeyId).toBe('ASIA');
    await clock.advance(60_000);
    await expect(provider()).rejects.toMatchObject({
      code: 'upstream_auth_failed',
      retryable: false,
      fallbackEligible: true,
    });
  });

  it('never refreshes long-lived keys', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const provider = cacheCredentials(() => {
      calls += 1;
      return Promise.resolve({ accessKeyId: 'AKIA', secretAccessKey: 's' });
    }, clock);
    await provider();
    await clock.advance(1000 * hour);
    await provider();
    expect(calls).toBe(1);
  });
});

describe('resolveBedrockAuth', () => {
  it('prefers an API key (bearer) and otherwise signs with the configured static keys', async () => {
    const clock = new FakeClock();
    expect(resolveBedrockAuth({ region: 'us-east-1', credentials: { api_key: 'k' } }, clock)).toEqual({
      kind: 'bearer',
      token: 'k',
    });
    const auth = resolveBedrockAuth(
      {
        region: 'us-east-1',
        credentials: { access_key_id: 'AKIA1', secret_access_key: 'secret', session_token: 'tok' },
      },
      clock,
    );
    if (auth.kind !== 'sigv4') throw new Error('expected SigV4');
    expect(await auth.credentials()).toEqual({
      accessKeyId: 'AKIA1',
      secretAccessKey: 'secret',
      sessionToken: 'tok',
    });
  });
});
