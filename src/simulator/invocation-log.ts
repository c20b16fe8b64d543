import type { SimServiceTier } from './sim-chat.ts';
/** The API a request came in through. */
export type SimApi = 'bedrock' | 'openai' | 'anthropic';

/**
 * One request, as a model invocation log records it (field names follow Bedrock's invocation log
 * where it has one: accountId, region, inferenceRegion, modelId, operation).
 */
export interface InvocationRecord {
  /** Sequence number, from 1. */
  readonly seq: number;
  /** Start time, ms since the epoch (simulator clock). */
  readonly time: number;
  /** Start time, ISO 8601. */
  readonly timestamp: string;
  readonly requestId: string;
  readonly accountId: string;
  /** Region the client called (from the SigV4 scope or the API key's home region). */
  readonly region: string;
  /** Region that served it (differs from `region` for cross-region profiles); undefined if none. */
  readonly inferenceRegion: string | undefined;
  /** Model, profile id or ARN as requested. */
  readonly modelId: string;
  /** Foundation model id behind it, when known. */
  readonly baseModelId: string | undefined;
  readonly api: SimApi;
  /** Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream, ChatCompletions, Embeddings, Messages. */
  readonly operation: string;
  readonly stream: boolean;
  /** HTTP status sent (0 if none was: hang or reset before the response). */
  readonly status: number;
  /** Error code (wire code, or a fault like ConnectionReset, StreamCut, ClientClosed), undefined on success. */
  readonly errorCode: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Milliseconds from start to the last byte. */
  readonly latencyMs: number;
  /** Id of the fault that hit this request, if any. */
  readonly faultId: string | undefined;
  /** Bedrock service tier asked for (Converse `serviceTier`), when one was. */
  readonly serviceTier?: SimServiceTier | undefined;
  /**
   * The prompt's text as the model received it (system prompt and every turn's text, one per
   * line; the first 8 KB), as Bedrock's invocation logging delivers the input with text data
   * delivery on. Chat calls only, when the simulator logs prompts (`logPrompts`). Tests read what reached the upstream here (e.g. masked data).
   */
  readonly inputText?: string | undefined;
}

/** Filter for `invocations()` and `GET /_sim/invocations`; every given field must match. */
export interface InvocationFilter {
  /** Records at or after this time (ms since the epoch). */
  readonly since?: number | undefined;
  readonly account?: string | undefined;
  /** Matches modelId or baseModelId. */
  readonly model?: string | undefined;
  /** Matches inferenceRegion, or region when nothing served it. */
  readonly region?: string | undefined;
  readonly api?: SimApi | undefined;
}

/** A bounded ring of invocation records (oldest dropped first). */
export class InvocationLog {
  private readonly capacity: number;
  private readonly records: InvocationRecord[] = [];
  private start = 0;
  private sequence = 0;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  /** Appends a record; assigns `seq`. */
  add(record: Omit<InvocationRecord, 'seq'>): InvocationRecord {
    this.sequence += 1;
    const full: InvocationRecord = { seq: this.sequence, ...record };
    if (this.records.length < this.capacity) {
      this.records.push(full);
    } else {
      this.records[this.start] = full;
      this.start = (this.start + 1) % this.capacity;
    }
    return full;
  }

  /** Records matching `filter`, oldest first. */
  list(filter: InvocationFilter = {}): InvocationRecord[] {
    const ordered = [...this.records.slice(this.start), ...this.records.slice(0, this.start)];
    return ordered.filter(
      (record) =>
        (filter.since === undefined || record.time >= filter.since) &&
        (filter.account === undefined || record.accountId === filter.account) &&
        (filter.model === undefined ||
          record.modelId === filter.model ||
          record.baseModelId === filter.model) &&
        (filter.region === undefined || (record.inferenceRegion ?? record.region) === filter.region) &&
        (filter.api === undefined || record.api === filter.api),
    );
  }

  /** Drops every record (sequence numbers continue). */
  clear(): void {
    this.records.length = 0;
    this.start = 0;
  }
}
