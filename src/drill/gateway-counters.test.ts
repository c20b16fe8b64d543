import { describe, expect, it } from 'vitest';
import { countersBetween, parseCounters, sumCounters } from './gateway-counters.ts';

const exposition = (won: number, recovered: number) => `# HELP spillway_hedges_total Hedged first tokens
# TYPE spillway_hedges_total counter
spillway_hedges_total{group="a",outcome="won"} ${won}
spillway_hedges_total{group="b",outcome="won"} 1
spillway_hedges_total{group="a",outcome="lost"} 4
spillway_stream_recoveries_total{group="a",outcome="continued"} ${recovered}
spillway_requests_total{group="a",outcome="won"} 99
`;

describe('gateway counters', () => {
  it('sums hedges and stream recoveries over groups by outcome, ignoring other series', () => {
    expect(parseCounters(exposition(2, 3))).toEqual({
      hedges: { won: 3, lost: 4 },
      stream_recoveries: { continued: 3 },
    });
  });

  it('takes the difference between two readings and sums stretches', () => {
    const phase = countersBetween(parseCounters(exposition(7, 5)), parseCounters(exposition(2, 3)));
    expect(phase).toEqual({ hedges: { won: 5 }, stream_recoveries: { continued: 2 } });
    expect(sumCounters([phase, phase])).toEqual({ hedges: { won: 10 }, stream_recoveries: { continued: 4 } });
  });
});
