import type { QuotaLimit, QuotaRemaining } from './quota-tracker.ts';
import type { SimChatResult } from './sim-chat.ts';
import type { SimFailure } from './sim-failure.ts';
import type { SimHttpResponse } from './sim-http.ts';

/** What a response is about; every API renders from it (ids, rate-limit headers, metrics). */
export interface ResponseMeta {
  readonly requestId: string;
  /** Region chosen to serve (the source region for on-demand calls). */
  readonly inferenceRegion: string;
  /** Milliseconds of simulated latency (time to last token for non-streamed answers). */
  readonly latencyMs: number;
  /** Quota of the key that served, after this request, for rate-limit headers. */
  readonly quota: { readonly limit: QuotaLimit; readonly remaining: QuotaRemaining };
  /** The model id to echo in responses. */
  readonly modelId: string;
  /** Simulated time of the response, ms since the epoch. */
  readonly now: number;
}

/** One stream frame, with the output tokens it carries (for pacing; 0 for structure frames). */
export interface StreamFrame {
  readonly data: string | Uint8Array;
  readonly tokens: number;
}

/** What every API must render. */
export interface WireProtocol {
  /** A complete error response (nothing has been sent yet). */
  sendError(http: SimHttpResponse, failure: SimFailure, meta: ResponseMeta): void;
  /** The wire error code a failure is sent with (for the invocation log). */
  errorCode(failure: SimFailure): string;
  /** A 200 response whose body is not valid JSON (malformed fault). */
  sendMalformed(http: SimHttpResponse, meta: ResponseMeta): void;
}

/** What a chat API must render, on top of errors. */
export interface ChatProtocol extends WireProtocol {
  /** A complete non-streamed answer. */
  sendResult(http: SimHttpResponse, result: SimChatResult, meta: ResponseMeta): void;
  /** Status and headers of a stream. */
  startStream(http: SimHttpResponse, meta: ResponseMeta): void;
  /** Every frame of a streamed answer, terminal ones included. */
  streamFrames(result: SimChatResult, meta: ResponseMeta): StreamFrame[];
  /** An in-band error frame, in the API's shape. */
  streamError(failure: SimFailure): string | Uint8Array;
  /** A frame the client cannot decode (bad JSON, or a bad CRC for event streams). */
  malformedFrame(): string | Uint8Array;
}
