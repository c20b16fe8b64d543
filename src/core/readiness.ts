/** How one thing the gateway depends on is doing. */
export type ReadinessStatus = 'ok' | 'degraded' | 'down';

/** One component's state, as /health/ready reports it. */
export interface ReadinessCheck {
  /** ok: working; degraded: failing, but requests are still served (gracefully); down: cannot serve. */
  readonly status: ReadinessStatus;
  /** What it is and, when not ok, what is wrong and what the gateway does meanwhile. */
  readonly detail: string;
}

/** Whether the gateway can serve now, and why. */
export interface Readiness {
  /** True unless a check is down: a degraded component still serves. */
  readonly ready: boolean;
  /** Per component: `config`, `state` (limits store), `database` (keys, spend records). */
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
}
