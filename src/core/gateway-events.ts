import type { DialectName } from './dialect-name.ts';

/**
 * What the request pipeline reports as it works. Telemetry (metrics, traces, access log) and
 * governance (spend records, budgets, audit) subscribe; the pipeline never waits on them.
 * Names are noun-verb (docs/architecture.md, Conventions).
 */

/** Where a request (or attempt) was sent. */
export interface Target {
  readonly group: string;
  readonly deployment: string;
  readonly provider: string;
  readonly providerType: string;
  readonly region: string;
  readonly account: string;
  readonly model: string;
}

export interface AttemptFinished {
  readonly type: 'attempt-finished';
  readonly requestId: string;
  readonly tenant: string;
  readonly target: Target;
  readonly attempt: number;
  readonly outcome: 'success' | 'error';
  readonly errorCode?: string | undefined;
  readonly upstreamStatus?: number | undefined;
  readonly durationMs: number;
  /** Epoch ms the attempt ended (the clock read `durationMs` came from), so sinks need not read it again. */
  readonly endedAt?: number | undefined;
  /** Time to the first stream event (or the whole answer for non-streams). */
  readonly firstTokenMs?: number | undefined;
}

export interface RetryScheduled {
  readonly type: 'retry-scheduled';
  readonly requestId: string;
  readonly group: string;
  readonly fromDeployment: string;
  readonly delayMs: number;
  readonly errorCode: string;
}

export interface RetryDenied {
  readonly type: 'retry-denied';
  readonly requestId: string;
  readonly group: string;
  readonly reason: 'budget-exhausted' | 'deadline';
}

/**
 * How a hedge ended (decision 0016): `won` the hedge served, `lost` the first attempt served and
 * the hedge was aborted, `failed` neither served, `denied` the hedge budget allowed none.
 */
export type HedgeOutcome = 'won' | 'lost' | 'failed' | 'denied';

export interface HedgeFinished {
  readonly type: 'hedge-finished';
  readonly requestId: string;
  readonly group: string;
  readonly outcome: HedgeOutcome;
  /** The deployment the hedge went to (undefined when denied). */
  readonly deployment?: string | undefined;
  /** What the aborted attempt cost (its input tokens), where its deployment has prices. */
  readonly loserCostUsd?: number | undefined;
}

export interface FallbackTaken {
  readonly type: 'fallback-taken';
  readonly requestId: string;
  readonly fromGroup: string;
  readonly toGroup: string;
  readonly errorCode: string;
}

/** An upstream stream event that was malformed and skipped (the stream went on). */
export interface StreamEventSkipped {
  readonly type: 'stream-event-skipped';
  readonly requestId: string;
  readonly target: Target;
}

/** How an attempt to continue a stream cut after its first byte ended. */
export type StreamRecoveryOutcome =
  /** The answer was continued on another deployment and spliced into the client's stream. */
  | 'continued'
  /** No candidate could continue it (none left, or every continuation failed): the honest error. */
  | 'failed'
  /** Not attempted: the cut came inside a tool call's arguments. */
  | 'refused';

/** A stream cut after its first byte that the group's `stream_recovery` tried to continue. */
export interface StreamRecovered {
  readonly type: 'stream-recovered';
  readonly requestId: string;
  /** The requested group (whose `stream_recovery` setting applied). */
  readonly group: string;
  readonly outcome: StreamRecoveryOutcome;
  /** The code of the error that cut the stream. */
  readonly errorCode: string;
}

export interface RateLimited {
  readonly type: 'rate-limited';
  readonly requestId: string;
  readonly scope: 'tenant' | 'key' | 'deployment';
  readonly tenant: string;
  readonly deployment?: string | undefined;
  readonly limit: 'rpm' | 'tpm' | 'concurrency' | 'budget';
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitChanged {
  readonly type: 'circuit-changed';
  readonly deployment: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
}

export interface CooldownStarted {
  readonly type: 'cooldown-started';
  readonly deployment: string;
  readonly durationMs: number;
  readonly errorCode: string;
}

export interface RequestStarted {
  readonly type: 'request-started';
  readonly requestId: string;
  readonly tenant: string;
  readonly group: string;
  readonly stream: boolean;
  /** The client's W3C traceparent header, if it sent one (the request span becomes its child). */
  readonly traceparent?: string | undefined;
}

/** The full account of one client request, once it has ended (streams: when the stream ends). */
export interface RequestFinished {
  readonly type: 'request-finished';
  /** The gateway's own unique id for the request (the spend record's key). */
  readonly requestId: string;
  /** The client's `x-request-id`, when it sent one (not unique). */
  readonly clientRequestId?: string | undefined;
  readonly dialect: DialectName;
  readonly endpoint: 'chat' | 'embeddings';
  readonly tenant: string;
  readonly keyId: string;
  readonly requestedGroup: string;
  /** The deployment that served it (or the last one tried, on failure). */
  readonly target?: Target | undefined;
  readonly stream: boolean;
  /** HTTP status sent to the client (200 for a stream that later failed in-band; see errorCode). */
  readonly status: number;
  readonly errorCode?: string | undefined;
  readonly attempts: number;
  readonly fallbacks: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** True when the token counts are the gateway's or the adapter's estimate (no usage report arrived). */
  readonly usageEstimated?: boolean | undefined;
  /** Undefined when the deployment has no price. */
  readonly costUsd?: number | undefined;
  /** The request stage that answered without a deployment (`cache`); undefined when a deployment did. */
  readonly answeredBy?: string | undefined;
  /** What that stage's answer saved (a cache hit: the replayed answer's original cost). */
  readonly savedUsd?: number | undefined;
  /** The router decisions that chose the served group (`<router>:<rule>`, space-separated when chained). */
  readonly route?: string | undefined;
  /** Epoch ms when the request arrived. */
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly firstTokenMs?: number | undefined;
  /** Time spent in the gateway itself: latency minus time waiting on upstreams. */
  readonly overheadMs: number;
  /** Request and response bodies, only when the tenant opted in (already redacted). */
  readonly bodies?: { readonly request: unknown; readonly response: unknown } | undefined;
}

/** A response-cache lookup of a chat request (a group with a cache). */
export interface CacheLookup {
  readonly type: 'cache-lookup';
  readonly requestId: string;
  readonly tenant: string;
  /** The model group whose cache was asked. */
  readonly group: string;
  /**
   * `hit`: answered from the cache; `miss`: not there (the answer is stored when it completes);
   * `bypass`: not looked up (the client sent `cache-control: no-cache`/`no-store`, or the request
   * samples and the group does not cache sampled requests).
   */
  readonly result: 'hit' | 'miss' | 'bypass';
  /** A hit's saving: what the replayed answer cost when it was made. */
  readonly savedUsd?: number | undefined;
}

/** A router group chose the group that serves a request. */
export interface RouteDecided {
  readonly type: 'route-decided';
  readonly requestId: string;
  readonly tenant: string;
  /** The router group the client asked for. */
  readonly router: string;
  /** The rule that matched: its name, `rule-<n>`, or `default`. */
  readonly rule: string;
  /** The group it chose. */
  readonly target: string;
  /** The complexity score and its features, when a rule needed them (for the trace). */
  readonly complexity?:
    { readonly score: number; readonly features: Readonly<Record<string, number | boolean>> } | undefined;
}

/**
 * A guardrail acted on a request (decision 0021): blocked it, masked matches, or flagged them. One
 * event per guardrail and direction; entity types and counts only, never the matched text.
 */
export interface GuardrailApplied {
  readonly type: 'guardrail-applied';
  readonly requestId: string;
  readonly tenant: string;
  /** The model group whose request it was. */
  readonly group: string;
  /** The guardrail's name in the config. */
  readonly guardrail: string;
  readonly action: 'block' | 'mask' | 'flag';
  /** `input`: the request; `output`: the answer (streamed or not). */
  readonly direction: 'input' | 'output';
  /** What it found, by entity type (`email`, `credit_card`, ..., `pattern`, `word`): how many. */
  readonly entities: Readonly<Record<string, number>>;
}

export type GatewayEvent =
  | RouteDecided
  | GuardrailApplied
  | CacheLookup
  | RequestStarted
  | AttemptFinished
  | RetryScheduled
  | RetryDenied
  | HedgeFinished
  | FallbackTaken
  | RateLimited
  | StreamEventSkipped
  | StreamRecovered
  | CircuitChanged
  | CooldownStarted
  | RequestFinished;

/** Receives pipeline events. Must not throw and must not block: queue work, never await on the hot path. */
export interface EventSink {
  emit(event: GatewayEvent): void;
}
