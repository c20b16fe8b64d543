import { describe, expect, it } from 'vitest';
import { errorCodes, errorTable } from './error-table.ts';
import { GatewayError } from './gateway-error.ts';
import { classifyUpstreamStatus } from './upstream-errors.ts';

const everyCode = errorCodes.map((code) => [code] as const);

describe('the error table', () => {
  it('has an entry for every code, with a client status and all flags', () => {
    expect(errorCodes.length).toBeGreaterThan(30);
    for (const code of errorCodes) {
      const entry = errorTable[code];
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
      for (const flag of [
        'retryable',
        'fallbackEligible',
        'countsAgainstHealth',
        'coolsDeployment',
        'endsRequest',
        'contextFallback',
        'contentPolicyFallback',
        'slowFailure',
        'closesConnection',
      ] as const) {
        expect(typeof entry[flag], `${code}.${flag}`).toBe('boolean');
      }
    }
  });

  it.each(everyCode)(
    '%s: GatewayError takes status and flags from the table (each dialect renders that status: src/dialects/dialect.contract.ts)',
    (code) => {
      const entry = errorTable[code];
      const error = new GatewayError('x', { code });
      expect(error).toMatchObject({
        code,
        status: entry.status,
        retryable: entry.retryable,
        fallbackEligible: entry.fallbackEligible,
        countsAgainstHealth: entry.countsAgainstHealth,
        coolsDeployment: entry.coolsDeployment,
        endsRequest: entry.endsRequest,
        contextFallback: entry.contextFallback,
        contentPolicyFallback: entry.contentPolicyFallback,
        slowFailure: entry.slowFailure,
        closesConnection: entry.closesConnection,
      });
    },
  );

  it('lets a code take only the other statuses its entry lists', () => {
    expect(new GatewayError('full', { code: 'no_capacity', status: 429 }).status).toBe(429);
    expect(new GatewayError('down', { code: 'no_capacity' }).status).toBe(503);
    // @ts-expect-error: a hand-chosen status the table does not list for the code
    const handChosen = new GatewayError('x', { code: 'invalid_request', status: 405 });
    expect(handChosen.code).toBe('invalid_request');
  });

  it('has consistent flags: an ended request, a context miss or a content refusal is neither retried nor failed over', () => {
    for (const code of errorCodes) {
      const entry = errorTable[code];
      if (entry.endsRequest || entry.contextFallback || entry.contentPolicyFallback) {
        expect([entry.retryable, entry.fallbackEligible], code).toEqual([false, false]);
      }
      if (entry.slowFailure) expect(entry.countsAgainstHealth, code).toBe(true);
    }
  });
});

describe('upstream statuses classify through the table', () => {
  it('every upstream status 400..599 gets the status of its code', () => {
    for (let status = 400; status < 600; status += 1) {
      const error = classifyUpstreamStatus({ status, message: 'x' });
      expect(error.status, String(status)).toBe(errorTable[error.code].status);
    }
    expect(classifyUpstreamStatus({ status: 413, message: 'x' })).toMatchObject({
      code: 'upstream_request_too_large',
      status: 413,
    });
  });
});
