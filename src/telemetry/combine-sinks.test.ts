import { describe, expect, it } from 'vitest';
import type { EventSink, GatewayEvent } from '../core/gateway-events.ts';
import { combineSinks } from './combine-sinks.ts';

const event: GatewayEvent = { type: 'circuit-changed', deployment: 'd', from: 'closed', to: 'open' };

describe('combineSinks', () => {
  it('delivers every event to every sink in order, isolating one that throws', () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    const throwing: EventSink = {
      emit() {
        throw new Error('broken sink');
      },
    };
    const sink = combineSinks(
      [{ emit: () => seen.push('first') }, throwing, { emit: (e) => seen.push(`third:${e.type}`) }],
      (error) => errors.push(error),
    );
    expect(() => {
      sink.emit(event);
    }).not.toThrow();
    expect(seen).toEqual(['first', 'third:circuit-changed']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('broken sink');
  });

  it('survives an error handler that throws too', () => {
    const sink = combineSinks(
      [
        {
          emit() {
            throw new Error('a');
          },
        },
      ],
      () => {
        throw new Error('b');
      },
    );
    expect(() => {
      sink.emit(event);
    }).not.toThrow();
  });
});
