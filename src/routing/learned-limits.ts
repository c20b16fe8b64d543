import type { UpstreamLimitHint } from '../core/upstream-limits.ts';

/** The window a learned rpm counts requests in. */
const windowMs = 60_000;

/** What one success adds to a learned rpm (additive increase: one rpm per ten successes). */
const increasePerSuccess = 0.1;

/** What a throttle keeps of the learned rpm (multiplicative decrease). */
const decreaseFactor = 0.5;

/** What one success adds to a learned tpm: a tenth of the tokens it used (the same slope as rpm). */
const tokenIncreaseShare = 0.1;

/** Below this many tokens a minute a throttle teaches no tpm (as `minLearningRate` for requests). */
const minTokenLearningRate = 1000;

/**
 * Below this many requests a minute a throttle teaches no rpm: it says more about the upstream's
 * other callers than about what this gateway sends (the cooldown handles it).
 */
const minLearningRate = 10;

/** Requests started on one deployment in the current and the previous minute (a sliding estimate). */
interface Learned {
  windowStart: number;
  current: number;
  previous: number;
  /** Tokens used by attempts that ended in the current and the previous minute. */
  currentTokens: number;
  previousTokens: number;
  /** The learned tokens per minute; undefined until a throttle or a limit header teaches one. */
  tpm: number | undefined;
  /** The learned requests per minute; undefined until a throttle or a limit header teaches one. */
  rpm: number | undefined;
  /** Until when the upstream said it has nothing left (remaining 0 until its reset). */
  exhaustedUntil: number;
}

/**
 * What the upstreams say about their own limits, per deployment, on this replica (decision 0016):
 * a deployment whose last response said "0 requests (or tokens) remaining" is avoided until its
 * reset; for a deployment without a configured `rpm` (`tpm`), an effective rpm (tpm) is learned — from the
 * upstream's limit header where it sends one, else by AIMD: halved (from the rate it was taking,
 * when that was at least 10 a minute) at each throttle, raised by 0.1 with each success — and a
 * deployment at its learned rpm is
 * avoided too. Avoided means tried after the others, never refused: when nothing else can serve,
 * the upstream still decides. Keyed by deployment id, so it survives config reloads.
 */
export class LearnedLimits {
  private readonly deployments = new Map<string, Learned>();

  private of(deploymentId: string, now: number): Learned {
    let learned = this.deployments.get(deploymentId);
    if (learned === undefined) {
      learned = {
        windowStart: now,
        current: 0,
        previous: 0,
        currentTokens: 0,
        previousTokens: 0,
        tpm: undefined,
        rpm: undefined,
        exhaustedUntil: 0,
      };
      this.deployments.set(deploymentId, learned);
    }
    return learned;
  }

  /** Moves the window on: the previous minute's count becomes `previous`. */
  private roll(learned: Learned, now: number): void {
    const elapsed = now - learned.windowStart;
    if (elapsed < windowMs) return;
    learned.previous = elapsed < 2 * windowMs ? learned.current : 0;
    learned.current = 0;
    learned.previousTokens = elapsed < 2 * windowMs ? learned.currentTokens : 0;
    learned.currentTokens = 0;
    learned.windowStart = now - (elapsed % windowMs);
  }

  /** Requests in the last minute, estimated from the two windows (the previous one weighted by its overlap). */
  private rate(learned: Learned, now: number): number {
    this.roll(learned, now);
    const overlap = 1 - (now - learned.windowStart) / windowMs;
    return learned.current + learned.previous * Math.max(0, overlap);
  }

  /** Tokens in the last minute, estimated like `rate`. */
  private tokenRate(learned: Learned, now: number): number {
    this.roll(learned, now);
    const overlap = 1 - (now - learned.windowStart) / windowMs;
    return learned.currentTokens + learned.previousTokens * Math.max(0, overlap);
  }

  /** An attempt started on the deployment. */
  started(deploymentId: string, now: number): void {
    const learned = this.of(deploymentId, now);
    this.roll(learned, now);
    learned.current += 1;
  }

  /** What the upstream's headers said (any response, a 429 included). */
  observe(
    deploymentId: string,
    hint: UpstreamLimitHint,
    now: number,
    configuredRpm: boolean,
    configuredTpm = false,
  ): void {
    const learned = this.of(deploymentId, now);
    if (hint.requestsRemaining === 0)
      learned.exhaustedUntil = Math.max(learned.exhaustedUntil, now + (hint.requestsResetMs ?? 1000));
    if (hint.tokensRemaining === 0)
      learned.exhaustedUntil = Math.max(learned.exhaustedUntil, now + (hint.tokensResetMs ?? 1000));
    if (!configuredRpm && hint.requestsLimit !== undefined && hint.requestsLimit > 0)
      learned.rpm = hint.requestsLimit;
    if (!configuredTpm && hint.tokensLimit !== undefined && hint.tokensLimit > 0)
      learned.tpm = hint.tokensLimit;
  }

  /**
   * The upstream throttled (a 429): the learned rpm halves from the request rate the deployment was
   * taking, and the learned tpm from its token rate (each only where none is configured and the
   * rate was enough to say something about this gateway's traffic).
   */
  throttled(deploymentId: string, now: number, configuredRpm: boolean, configuredTpm = false): void {
    const learned = this.of(deploymentId, now);
    const rate = this.rate(learned, now);
    if (!configuredRpm && rate >= minLearningRate) {
      learned.rpm = Math.max(1, Math.floor(Math.min(learned.rpm ?? rate, rate) * decreaseFactor));
    }
    const tokens = this.tokenRate(learned, now);
    if (!configuredTpm && tokens >= minTokenLearningRate) {
      learned.tpm = Math.max(1, Math.floor(Math.min(learned.tpm ?? tokens, tokens) * decreaseFactor));
    }
  }

  /** An attempt ended having used `tokens` (counted towards the token rate, whatever its outcome). */
  used(deploymentId: string, tokens: number, now: number): void {
    if (tokens <= 0) return;
    const learned = this.of(deploymentId, now);
    this.roll(learned, now);
    learned.currentTokens += tokens;
  }

  /** The upstream answered: a learned rpm grows slowly, a learned tpm by a tenth of the tokens used. */
  succeeded(deploymentId: string, tokens = 0): void {
    const learned = this.deployments.get(deploymentId);
    if (learned === undefined) return;
    if (learned.rpm !== undefined) learned.rpm += increasePerSuccess;
    if (learned.tpm !== undefined) learned.tpm += tokens * tokenIncreaseShare;
  }

  /** Whether to try the deployment after the others: out of requests or tokens, or at its learned rpm. */
  avoid(deploymentId: string, now: number): boolean {
    const learned = this.deployments.get(deploymentId);
    if (learned === undefined) return false;
    if (learned.exhaustedUntil > now) return true;
    if (learned.rpm !== undefined && this.rate(learned, now) >= learned.rpm) return true;
    return learned.tpm !== undefined && this.tokenRate(learned, now) >= learned.tpm;
  }

  /** The learned tpm of a deployment (undefined when none was learned), for reports and tests. */
  learnedTpm(deploymentId: string): number | undefined {
    return this.deployments.get(deploymentId)?.tpm;
  }

  /** The learned rpm of a deployment (undefined when none was learned), for reports and tests. */
  learnedRpm(deploymentId: string): number | undefined {
    return this.deployments.get(deploymentId)?.rpm;
  }
}
