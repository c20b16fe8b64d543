import { z } from 'zod';

/**
 * A fault to inject: what happens (`kind`), to which requests (the match fields; absent = all), and
 * for how long (a share of requests, a number of hits, a duration). Used in world files and in the
 * body of `POST /_sim/faults`.
 */
export const faultSpecSchema = z
  .object({
    /** Optional id; generated when absent. */
    id: z.string().min(1).optional(),
    /**
     * throttle: the protocol's 429 (ThrottlingException, rate_limit_exceeded, rate_limit_error).
     * error: `status` (and optional `code`, `message`); with `after_events` on a stream, in-band.
     * hang: never answer. reset: destroy the connection (mid-stream with `after_events`).
     * slow_first_token: `ms` extra before the first token. cut_stream: end a stream cleanly after
     * `after_events` events, without its terminal events. malformed: bad JSON, or a bad-CRC frame.
     * content_filter: a 200 whose answer a content filter cut (OpenAI/Azure finish_reason
     * content_filter, Bedrock stopReason content_filtered, Anthropic stop_reason refusal).
     */
    kind: z.enum([
      'throttle',
      'error',
      'hang',
      'reset',
      'slow_first_token',
      'cut_stream',
      'malformed',
      'content_filter',
    ]),
    /** Matches the source or the inference region. */
    region: z.string().min(1).optional(),
    /** Matches the requested model or profile id, or the model id behind it. */
    model: z.string().min(1).optional(),
    /** Matches the account id. */
    account: z.string().min(1).optional(),
    /** Matches the API: bedrock, openai or anthropic. */
    api: z.enum(['bedrock', 'openai', 'anthropic']).optional(),
    /** Matches the operation, e.g. Converse, ConverseStream, ChatCompletions, Messages, Embeddings. */
    operation: z.string().min(1).optional(),
    /** Share of matching requests hit, 0..1 (default 1). */
    rate: z.number().min(0).max(1).default(1),
    /** Hits before the fault removes itself (default: unlimited). */
    count: z.number().int().positive().optional(),
    /** Milliseconds from creation until the fault removes itself (default: forever). */
    duration_ms: z.number().int().positive().optional(),
    /** HTTP status for kind error. */
    status: z.number().int().min(400).max(599).optional(),
    /** Protocol error code for kind error, e.g. ServiceUnavailableException, server_error, api_error. */
    code: z.string().min(1).optional(),
    /** Error message for kind throttle or error. */
    message: z.string().min(1).optional(),
    /** Extra milliseconds before the first token (slow_first_token); not scaled by latency_scale. */
    ms: z.number().int().nonnegative().optional(),
    /** Events written before cut_stream, malformed, reset or an in-stream error take effect. */
    after_events: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine((fault, context) => {
    if (fault.kind === 'error' && fault.status === undefined) {
      context.addIssue({ code: 'custom', path: ['status'], message: 'kind error needs a status' });
    }
    if (fault.kind === 'slow_first_token' && fault.ms === undefined) {
      context.addIssue({ code: 'custom', path: ['ms'], message: 'kind slow_first_token needs ms' });
    }
  });

/** A fault as written (defaults not applied). */
export type FaultSpecInput = z.input<typeof faultSpecSchema>;
/** A validated fault. */
export type FaultSpec = z.output<typeof faultSpecSchema>;
