import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { CircuitState, EventSink } from '../core/gateway-events.ts';
import type { StateStore, WindowCounts } from '../core/state-store.ts';
import { formatBreaker, type BreakerSnapshot } from './deployment-health.ts';
import type { DeploymentVerdict } from './deployment-verdict.ts';

/** The breaker's thresholds (the `circuit_breaker` settings of a group, as plain values). */
export interface CircuitBreakerSettings {
  /** Open when at least this share of the window's outcomes failed ... */
  readonly failure_ratio: number;
  /** ... and the window holds at least this many outcomes. */
  readonly min_requests: number;
  /** The sliding window of outcomes, in seconds. */
  readonly window_s: number;
  /** How long an open breaker stays open before a probe, in seconds. */
  readonly open_s: number;
}

/** Breaker values outlive any window; a day bounds the garbage of removed deployments. */
const breakerTtlMs = 86_400_000;

/** The window increments, shared by every call (stores only read them). */
const oneSuccess: WindowCounts = Object.freeze({ ok: 1 });
const oneFailure: WindowCounts = Object.freeze({ failed: 1 });

/** Identifies a deployment's breaker. */
export interface BreakerRef {
  readonly deploymentId: string;
  readonly breakerKey: string;
}

/**
 * Circuit breakers per deployment, in the state store (shared by replicas). Closed: outcomes are
 * counted over `window_s`; a failure ratio ≥ `failure_ratio` with ≥ `min_requests` opens it.
 * Open: no traffic for `open_s`, then exactly one probe (claimed with compare-and-set) decides:
 * success closes it (a new epoch, so old failures are forgotten), failure re-opens it.
 */
export class CircuitBreaker {
  private readonly state: StateStore;
  private readonly clock: Clock;
  private readonly events: EventSink;
  private readonly logger: Logger;
  /** The failure window's key per deployment, for the epoch it was last built for. */
  private readonly windowKeys = new Map<string, { readonly epoch: number; readonly key: string }>();

  constructor(state: StateStore, clock: Clock, events: EventSink, logger: Logger) {
    this.state = state;
    this.clock = clock;
    this.events = events;
    this.logger = logger;
  }

  private windowKeyOf(deploymentId: string, epoch: number): string {
    const cached = this.windowKeys.get(deploymentId);
    if (cached?.epoch === epoch) return cached.key;
    const key = `cbw:${deploymentId}:${epoch}`;
    this.windowKeys.set(deploymentId, { epoch, key });
    return key;
  }

  private changed(ref: BreakerRef, from: CircuitState, to: CircuitState): void {
    this.events.emit({ type: 'circuit-changed', deployment: ref.deploymentId, from, to });
    const log = to === 'open' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
    log({ deployment: ref.deploymentId, from, to }, 'circuit breaker changed');
  }

  /**
   * Claims the single probe of an open breaker for `holdMs` (after which another may claim it).
   * Returns the claimed value (pass it to `recordOutcome`), or undefined when another request won.
   */
  async claimProbe(ref: BreakerRef, snapshot: BreakerSnapshot, holdMs: number): Promise<string | undefined> {
    const claimed = formatBreaker('half-open', snapshot.epoch, this.clock.now() + holdMs);
    const won = await this.state.compareAndSet(ref.breakerKey, snapshot.raw, claimed, breakerTtlMs);
    if (!won) return undefined;
    this.changed(ref, snapshot.state, 'half-open');
    return claimed;
  }

  /**
   * Records an attempt's verdict. `probe` is the value returned by `claimProbe` when this attempt was
   * the probe. Not awaited by the request path except where a transition is decided.
   */
  recordOutcome(
    ref: BreakerRef,
    snapshot: BreakerSnapshot,
    probe: string | undefined,
    verdict: DeploymentVerdict,
    config: CircuitBreakerSettings,
  ): Promise<void> {
    if (probe !== undefined || verdict !== 'success')
      return this.recordVerdict(ref, snapshot, probe, verdict, config);
    // The usual case, a success that is no probe: at most one count, without an async function.
    if (snapshot.state !== 'closed') return Promise.resolve();
    try {
      return this.state.addToWindow(
        this.windowKeyOf(ref.deploymentId, snapshot.epoch),
        oneSuccess,
        config.window_s * 1000,
      );
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as an async function would
      return Promise.reject(error);
    }
  }

  private async recordVerdict(
    ref: BreakerRef,
    snapshot: BreakerSnapshot,
    probe: string | undefined,
    verdict: DeploymentVerdict,
    config: CircuitBreakerSettings,
  ): Promise<void> {
    const now = this.clock.now();
    if (probe !== undefined) {
      if (verdict === 'success') {
        if (
          await this.state.compareAndSet(
            ref.breakerKey,
            probe,
            formatBreaker('closed', snapshot.epoch + 1, 0),
            breakerTtlMs,
          )
        ) {
          this.changed(ref, 'half-open', 'closed');
        }
      } else if (verdict === 'failure') {
        const reopened = formatBreaker('open', snapshot.epoch, now + config.open_s * 1000);
        if (await this.state.compareAndSet(ref.breakerKey, probe, reopened, breakerTtlMs)) {
          this.changed(ref, 'half-open', 'open');
        }
      } else {
        // The probe learned nothing (client gone, bad request): let the next request probe at once.
        await this.state.compareAndSet(
          ref.breakerKey,
          probe,
          formatBreaker('open', snapshot.epoch, now),
          breakerTtlMs,
        );
      }
      return;
    }
    if (verdict === 'neutral' || snapshot.state !== 'closed') return;
    const windowKey = this.windowKeyOf(ref.deploymentId, snapshot.epoch);
    const windowMs = config.window_s * 1000;
    const counts = await this.state.incrementWindow(
      windowKey,
      verdict === 'success' ? oneSuccess : oneFailure,
      windowMs,
    );
    if (verdict === 'success') return;
    const failed = counts.failed ?? 0;
    const total = failed + (counts.ok ?? 0);
    if (total < config.min_requests || failed / total < config.failure_ratio) return;
    const opened = formatBreaker('open', snapshot.epoch, now + config.open_s * 1000);
    if (await this.state.compareAndSet(ref.breakerKey, snapshot.raw, opened, breakerTtlMs)) {
      this.changed(ref, 'closed', 'open');
    }
  }
}
