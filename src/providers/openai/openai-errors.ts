import { z } from 'zod';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../errors/gateway-error.ts';
import { classifyUpstreamStatus, parseRetryAfter } from '../../errors/upstream-errors.ts';

/**
 * The OpenAI error object `{message,type,param,code}`; compatible servers vary (vLLM puts it at the
 * top level, some send a bare string), so every field is optional.
 */
const errorObjectSchema = z.object({
  message: z.string().nullish(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
  param: z.string().nullish(),
  /** Azure OpenAI's details, e.g. `{code: "ResponsibleAIPolicyViolation", content_filter_result}`. */
  innererror: z.object({ code: z.string().nullish() }).nullish(),
});

const errorBodySchema = z.union([
  z.object({ error: z.union([errorObjectSchema, z.string()]) }),
  errorObjectSchema,
]);

/** What an OpenAI-style error says about itself. */
export interface OpenAIErrorInfo {
  readonly message: string;
  readonly type: string | undefined;
  readonly code: string | undefined;
  /** The request parameter at fault, when the upstream names one. */
  readonly param?: string | undefined;
  /** Azure's `innererror.code` (ResponsibleAIPolicyViolation for a content-filter refusal). */
  readonly innerCode?: string | undefined;
}

function infoFrom(value: z.infer<typeof errorObjectSchema>, fallback: string): OpenAIErrorInfo {
  return {
    message: value.message ?? fallback,
    type: value.type ?? undefined,
    code: value.code === null || value.code === undefined ? undefined : String(value.code),
    param: value.param ?? undefined,
    innerCode: value.innererror?.code ?? undefined,
  };
}

/** Reads the error object out of a parsed body (an HTTP error body or an in-stream `data:` error). */
export function readOpenAIErrorInfo(body: unknown, fallback: string): OpenAIErrorInfo {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return { message: fallback, type: undefined, code: undefined };
  const value = parsed.data;
  if ('error' in value) {
    const error = value.error;
    return typeof error === 'string'
      ? { message: error, type: undefined, code: undefined }
      : infoFrom(error, fallback);
  }
  return infoFrom(value, fallback);
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const contextWindowPattern = /maximum context length|context[ _]length[ _]exceeded|context window/i;

function isContextWindowExceeded(info: OpenAIErrorInfo): boolean {
  return info.code === 'context_length_exceeded' || contextWindowPattern.test(info.message);
}

function isQuotaExhausted(info: OpenAIErrorInfo): boolean {
  return info.code === 'insufficient_quota' || info.type === 'insufficient_quota';
}

/** Azure OpenAI's content filter refused the prompt (400 `content_filter`, innererror ResponsibleAIPolicyViolation). */
function isContentFiltered(info: OpenAIErrorInfo): boolean {
  return info.code === 'content_filter' || info.innerCode === 'ResponsibleAIPolicyViolation';
}

function classify(status: number, info: OpenAIErrorInfo, retryAfterMs: number | undefined, upstream: string) {
  const message = `${upstream}: ${info.message}`;
  const upstreamCode = info.code ?? info.type;
  if (status < 500 && isContentFiltered(info)) {
    // A policy refusal: the same prompt is refused again here; another provider's policy may differ.
    return new GatewayError(message, {
      code: 'upstream_content_filtered',
      upstreamStatus: status,
      upstreamCode: info.innerCode ?? upstreamCode,
    });
  }
  if (isQuotaExhausted(info)) {
    // The account is out of credit: waiting does not help, another account or provider may.
    return new GatewayError(message, {
      code: 'upstream_quota_exceeded',
      upstreamStatus: status,
      upstreamCode,
      retryAfterMs,
    });
  }
  return classifyUpstreamStatus({
    status,
    message,
    upstreamCode,
    retryAfterMs,
    param: info.param,
    contextWindowExceeded: status < 500 && isContextWindowExceeded(info),
  });
}

/** Classifies a non-2xx response of an OpenAI-compatible server from its status, headers and body. */
export function classifyOpenAIErrorResponse(
  status: number,
  headers: IncomingHttpHeaders,
  bodyText: string,
  upstream: string,
  now: number,
): GatewayError {
  const fallback = bodyText.length > 0 ? bodyText.slice(0, 500) : `HTTP ${status}`;
  const info = readOpenAIErrorInfo(parseBody(bodyText), fallback);
  return classify(status, info, parseRetryAfter(headers, now), upstream);
}

/** The HTTP status an in-stream error stands for, read from its type or code (the stream itself was a 200). */
function statusOfStreamError(info: OpenAIErrorInfo): number {
  const words = `${info.type ?? ''} ${info.code ?? ''}`;
  if (/rate_limit|^tokens|^requests|insufficient_quota/.test(words)) return 429;
  if (/overloaded/.test(words)) return 529;
  if (/unavailable/.test(words)) return 503;
  if (/timeout/.test(words)) return 504;
  if (/authentication|invalid_api_key/.test(words)) return 401;
  if (/permission/.test(words)) return 403;
  if (/invalid_request|context_length_exceeded|content_filter/.test(words)) return 400;
  return 500;
}

/** Classifies a `data: {"error":...}` message that arrived inside a 200 stream. */
export function classifyOpenAIStreamError(body: unknown, upstream: string): GatewayError {
  const info = readOpenAIErrorInfo(body, 'error inside the stream');
  return classify(statusOfStreamError(info), info, undefined, upstream);
}
