import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { StateStore } from '../core/state-store.ts';

/** Cooldown when an upstream 429 does not say how long to wait. */
export const defaultCooldownMs = 5_000;
/** Longest cooldown honoured: a wild Retry-After must not take a deployment out for hours. */
export const maxCooldownMs = 300_000;

/** How long an upstream error cools its deployment (undefined: it does not). */
export function cooldownFor(error: GatewayError): number | undefined {
  if (!error.coolsDeployment) return undefined;
  return Math.min(maxCooldownMs, Math.max(1, error.retryAfterMs ?? defaultCooldownMs));
}

/**
 * Cooldowns per deployment in the state store: an upstream 429 keeps the deployment out of every
 * replica's plans for its Retry-After (default a few seconds).
 */
export class Cooldowns {
  private readonly state: StateStore;
  private readonly clock: Clock;
  private readonly events: EventSink;
  private readonly logger: Logger;

  constructor(state: StateStore, clock: Clock, events: EventSink, logger: Logger) {
    this.state = state;
    this.clock = clock;
    this.events = events;
    this.logger = logger;
  }

  /** Cools the deployment for `durationMs` because of `error`. */
  async start(
    deploymentId: string,
    cooldownKey: string,
    durationMs: number,
    error: GatewayError,
  ): Promise<void> {
    await this.state.set(cooldownKey, String(this.clock.now() + durationMs), durationMs);
    this.events.emit({
      type: 'cooldown-started',
      deployment: deploymentId,
      durationMs,
      errorCode: error.code,
    });
    this.logger.info({ deployment: deploymentId, durationMs, code: error.code }, 'deployment cooling down');
  }
}
