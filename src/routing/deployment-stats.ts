/** Weight of a new sample in the decaying averages (higher: faster to react). */
const sampleWeight = 0.3;

/** First-token samples kept per deployment for its quantiles (the most recent ones). */
const quantileSamples = 64;

/** Fewer samples than this give no quantile (too few to say what is slow). */
export const minQuantileSamples = 16;

/** The most recent first-token times of one deployment, in a ring. */
interface FirstTokenRing {
  readonly samples: Float64Array;
  /** Samples written so far (the ring holds the last `quantileSamples` of them). */
  count: number;
}

interface Latency {
  firstTokenMs: number;
  perTokenMs: number;
  hasPerToken: boolean;
}

/**
 * Local statistics per deployment id for the routing strategies: requests in flight (least-busy)
 * and decaying averages of time to first token and time per output token (latency). Keyed by
 * deployment id, so they survive config reloads. Local to this replica by design: they steer
 * choices, they do not enforce limits.
 */
export class DeploymentStats {
  private readonly inFlight = new Map<string, number>();
  private readonly latency = new Map<string, Latency>();
  private readonly firstTokens = new Map<string, FirstTokenRing>();
  /** Whole non-streamed answers: their "first token" is the answer (what a hedge of one waits for). */
  private readonly answers = new Map<string, FirstTokenRing>();

  /** Requests this replica has in flight on the deployment. */
  inFlightOf(deploymentId: string): number {
    return this.inFlight.get(deploymentId) ?? 0;
  }

  /** Marks one more request in flight; call `finish` exactly once after. */
  start(deploymentId: string): void {
    this.inFlight.set(deploymentId, this.inFlightOf(deploymentId) + 1);
  }

  /** Marks a request done. */
  finish(deploymentId: string): void {
    this.inFlight.set(deploymentId, Math.max(0, this.inFlightOf(deploymentId) - 1));
  }

  /**
   * Records a streamed answer: time to first event and the time per output token after it.
   */
  recordStream(deploymentId: string, firstTokenMs: number, totalMs: number, outputTokens: number): void {
    const perToken = outputTokens > 0 ? Math.max(0, totalMs - firstTokenMs) / outputTokens : undefined;
    this.record(deploymentId, firstTokenMs, perToken);
  }

  /**
   * Records a complete (non-streamed) answer: the part not explained by the known per-token time
   * counts as time to first token.
   */
  recordComplete(deploymentId: string, totalMs: number, outputTokens: number): void {
    sample(this.answers, deploymentId, totalMs);
    const known = this.latency.get(deploymentId);
    const perToken = known?.hasPerToken === true ? known.perTokenMs : 0;
    this.record(deploymentId, Math.max(0, totalMs - perToken * outputTokens), undefined);
  }

  /**
   * Records a failure that cost time (a timeout, an outpaced hedge): it counts as a slow first
   * token, and for a non-streamed request (`complete`) as a slow answer too.
   */
  recordSlowFailure(deploymentId: string, durationMs: number, complete = false): void {
    if (complete) sample(this.answers, deploymentId, durationMs);
    this.record(deploymentId, durationMs, undefined);
  }

  private record(deploymentId: string, firstTokenMs: number, perTokenMs: number | undefined): void {
    sample(this.firstTokens, deploymentId, firstTokenMs);
    const current = this.latency.get(deploymentId);
    if (current === undefined) {
      this.latency.set(deploymentId, {
        firstTokenMs,
        perTokenMs: perTokenMs ?? 0,
        hasPerToken: perTokenMs !== undefined,
      });
      return;
    }
    current.firstTokenMs += sampleWeight * (firstTokenMs - current.firstTokenMs);
    if (perTokenMs !== undefined) {
      current.perTokenMs = current.hasPerToken
        ? current.perTokenMs + sampleWeight * (perTokenMs - current.perTokenMs)
        : perTokenMs;
      current.hasPerToken = true;
    }
  }

  /**
   * The `q` quantile (0..1) of the deployment's recent first-token times (slow failures count at
   * their duration); undefined with fewer than {@link minQuantileSamples} samples. Constant work:
   * at most {@link quantileSamples} samples are sorted.
   */
  firstTokenQuantileMs(deploymentId: string, q: number): number | undefined {
    return quantile(this.firstTokens.get(deploymentId), q);
  }

  /**
   * The `q` quantile of the deployment's recent non-streamed answer times (whole answers; slow
   * failures of non-streamed requests at their duration), like {@link firstTokenQuantileMs}. A
   * non-streamed request's first token is its whole answer, so this is what its hedge compares.
   */
  answerQuantileMs(deploymentId: string, q: number): number | undefined {
    return quantile(this.answers.get(deploymentId), q);
  }

  /**
   * Expected milliseconds for an answer of `outputTokens`; 0 for a deployment without samples (so
   * new deployments are tried and measured).
   */
  expectedLatencyMs(deploymentId: string, outputTokens: number): number {
    const latency = this.latency.get(deploymentId);
    if (latency === undefined) return 0;
    return latency.firstTokenMs + latency.perTokenMs * outputTokens;
  }
}

function sample(rings: Map<string, FirstTokenRing>, deploymentId: string, ms: number): void {
  let ring = rings.get(deploymentId);
  if (ring === undefined) {
    ring = { samples: new Float64Array(quantileSamples), count: 0 };
    rings.set(deploymentId, ring);
  }
  ring.samples[ring.count % quantileSamples] = ms;
  ring.count += 1;
}

function quantile(ring: FirstTokenRing | undefined, q: number): number | undefined {
  if (ring === undefined || ring.count < minQuantileSamples) return undefined;
  const sorted = ring.samples.slice(0, Math.min(ring.count, quantileSamples)).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}
