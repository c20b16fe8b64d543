/** Which client sent a request: through the gateway, or the naive client straight to one deployment. */
export type DrillClientName = 'gateway' | 'naive';

/** What one request of a drill looked like to its client. */
export interface DrillSample {
  readonly client: DrillClientName;
  /** Milliseconds from the drill's start to the send. */
  readonly start_ms: number;
  /** Index of the phase the request was sent in. */
  readonly phase: number;
  readonly stream: boolean;
  readonly ok: boolean;
  /** HTTP status (0: no response, e.g. a connection reset or no answer by the drill's end). */
  readonly status: number;
  readonly error?: string | undefined;
  /** To the first content token (a non-streamed answer: the whole answer). */
  readonly ttft_ms?: number | undefined;
  /** To the last token (the whole answer), or to the failure. */
  readonly ttlt_ms: number;
  /** From `x-spillway-*` headers (gateway) or the naive client's own deployment. */
  readonly deployment?: string | undefined;
  readonly group?: string | undefined;
  readonly region?: string | undefined;
  /** The gateway's request id (`x-spillway-request-id`), to find the request in its logs. */
  readonly request_id?: string | undefined;
  /** Upstream attempts (`x-spillway-attempts`). */
  readonly attempts?: number | undefined;
  readonly input_tokens: number;
  readonly output_tokens: number;
}

/** What a client's send resolves with (the drill adds client, start and phase). */
export type SendOutcome = Omit<DrillSample, 'client' | 'start_ms' | 'phase'>;

/** One request as the load generator asks for it. */
export interface DrillRequest {
  readonly stream: boolean;
  readonly prompt: string;
  readonly maxTokens: number;
  /** Aborted when the drill ends with the request still open. */
  readonly signal: AbortSignal;
  /** Round-robin index (picks the key). */
  readonly index: number;
}

/** A client of the drill: sends one request, never throws. */
export interface DrillClient {
  send(request: DrillRequest): Promise<SendOutcome>;
}

/** The failure outcome of an error thrown by an SDK. */
export function failure(error: unknown, status: number, elapsed: number, stream: boolean): SendOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return {
    stream,
    ok: false,
    status,
    error: message.slice(0, 200),
    ttlt_ms: elapsed,
    input_tokens: 0,
    output_tokens: 0,
  };
}
