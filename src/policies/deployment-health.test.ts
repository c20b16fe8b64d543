import { describe, expect, it } from 'vitest';
import { availabilityOf, formatBreaker, parseHealth } from './deployment-health.ts';

describe('deployment health', () => {
  it('parses stored values and decides availability', () => {
    expect(availabilityOf(parseHealth(undefined, undefined), 100)).toEqual({ usable: true, probe: false });
    expect(availabilityOf(parseHealth(undefined, '150'), 100)).toEqual({ usable: false, freeAt: 150 });
    const open = formatBreaker('open', 2, 200);
    expect(availabilityOf(parseHealth(open, undefined), 100)).toEqual({ usable: false, freeAt: 200 });
    expect(availabilityOf(parseHealth(open, undefined), 200)).toEqual({ usable: true, probe: true });
    const probing = formatBreaker('half-open', 2, 300);
    expect(availabilityOf(parseHealth(probing, undefined), 250)).toEqual({ usable: false, freeAt: 300 });
    expect(availabilityOf(parseHealth(probing, undefined), 300)).toEqual({ usable: true, probe: true });
    expect(parseHealth('garbage', 'x')).toMatchObject({
      breaker: { state: 'closed', epoch: 0 },
      cooldownUntil: 0,
    });
    expect(parseHealth(formatBreaker('closed', 3, 0), undefined).breaker).toMatchObject({
      state: 'closed',
      epoch: 3,
    });
  });
});
