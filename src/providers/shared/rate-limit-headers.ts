import type { UpstreamLimitHint } from '../../core/upstream-limits.ts';

/** Response headers as undici gives them (lower-case names). */
type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Longest reset believed (1 h): a wild value must not keep a deployment out for days. */
const maxResetMs = 3_600_000;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function count(headers: Headers, name: string): number | undefined {
  const text = header(headers, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

const goUnits: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 1e-6,
};
const goPart = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;

/** A Go-style duration (`1s`, `6m0s`, `12ms`, `1h2m3.5s`) in ms, at most an hour; undefined when not one. */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 64) return undefined;
  goPart.lastIndex = 0;
  let total = 0;
  let matched = 0;
  for (let part = goPart.exec(text); part !== null; part = goPart.exec(text)) {
    total += Number(part[1]) * (goUnits[part[2] ?? ''] ?? 0);
    matched = goPart.lastIndex;
  }
  if (matched !== text.length) return undefined;
  return Math.min(maxResetMs, total);
}

/** An RFC 3339 instant as ms from `now` (0 when past), at most an hour; undefined when not one. */
function untilInstant(text: string | undefined, now: number): number | undefined {
  if (text === undefined || text.length > 64) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.min(maxResetMs, Math.max(0, at - now));
}

function hintOf(hint: UpstreamLimitHint): UpstreamLimitHint | undefined {
  return hint.requestsRemaining === undefined &&
    hint.tokensRemaining === undefined &&
    hint.requestsLimit === undefined &&
    hint.tokensLimit === undefined
    ? undefined
    : hint;
}

/** OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets are Go durations). */
export function readOpenaiRateLimits(headers: Headers): UpstreamLimitHint | undefined {
  if (
    headers['x-ratelimit-remaining-requests'] === undefined &&
    headers['x-ratelimit-remaining-tokens'] === undefined
  )
    return undefined;
  return hintOf({
    requestsLimit: count(headers, 'x-ratelimit-limit-requests'),
    requestsRemaining: count(headers, 'x-ratelimit-remaining-requests'),
    requestsResetMs: parseGoDuration(header(headers, 'x-ratelimit-reset-requests')),
    tokensLimit: count(headers, 'x-ratelimit-limit-tokens'),
    tokensRemaining: count(headers, 'x-ratelimit-remaining-tokens'),
    tokensResetMs: parseGoDuration(header(headers, 'x-ratelimit-reset-tokens')),
  });
}

/**
 * Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` (resets are RFC 3339
 * instants). `tokens` is the most restrictive of the token limits, as Anthropic documents it.
 */
export function readAnthropicRateLimits(headers: Headers, now: number): UpstreamLimitHint | undefined {
  if (
    headers['anthropic-ratelimit-requests-remaining'] === undefined &&
    headers['anthropic-ratelimit-tokens-remaining'] === undefined
  )
    return undefined;
  return hintOf({
    requestsLimit: count(headers, 'anthropic-ratelimit-requests-limit'),
    requestsRemaining: count(headers, 'anthropic-ratelimit-requests-remaining'),
    requestsResetMs: untilInstant(header(headers, 'anthropic-ratelimit-requests-reset'), now),
    tokensLimit: count(headers, 'anthropic-ratelimit-tokens-limit'),
    tokensRemaining: count(headers, 'anthropic-ratelimit-tokens-remaining'),
    tokensResetMs: untilInstant(header(headers, 'anthropic-ratelimit-tokens-reset'), now),
  });
}
