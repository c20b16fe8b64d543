import { describe, expect, it } from 'vitest';
import { errorCodes, errorTable, type ErrorCode } from '../errors/error-table.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { cooldownFor } from './cooldown.ts';
import { deploymentVerdict } from './deployment-verdict.ts';

const everyCode = errorCodes.map((code) => [code] as const);

describe('policies read the flags, not the codes', () => {
  it.each(everyCode)('%s: breaker verdict and cooldown follow the table', (code: ErrorCode) => {
    const error = new GatewayError('x', { code, retryAfterMs: 2000 });
    const entry = errorTable[code];
    expect(deploymentVerdict(error)).toBe(entry.countsAgainstHealth ? 'failure' : 'neutral');
    expect(cooldownFor(error)).toBe(entry.coolsDeployment ? 2000 : undefined);
  });

  it('an out-of-quota account cools the deployment and fails over without a retry on it', () => {
    const quota = new GatewayError('no credit', { code: 'upstream_quota_exceeded' });
    expect([quota.status, quota.retryable, quota.fallbackEligible]).toEqual([429, false, true]);
    expect(cooldownFor(quota)).toBeGreaterThan(0);
    expect(deploymentVerdict(quota)).toBe('neutral');
  });
});
