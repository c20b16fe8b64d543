import { hashString } from './prng.ts';
import type { SimCachePoint, SimChatRequest, SimChatResult } from './sim-chat.ts';
import { blockText, countTokens } from './text-generator.ts';

/** How long a cached prefix lives after its last use (Anthropic's and Bedrock's default 5 minutes). */
const ttlMs = 5 * 60_000;
/**
 * The shortest prefix cached (Anthropic's minimum for Sonnet and Opus, OpenAI's for automatic
 * caching): shorter breakpoints are ignored, as the providers ignore them.
 */
export const minCachedTokens = 1024;
/** Prefixes remembered at most; the oldest are forgotten first. */
const maxEntries = 10_000;

interface Prefix {
  readonly key: string;
  readonly tokens: number;
}

/** A breakpoint as a set key, so each block asks once whether one ends there. */
function pointKey(point: SimCachePoint): string {
  if ('tool' in point) return `t${point.tool}`;
  if ('system' in point) return 's';
  return `m${point.message}:${point.block}`;
}

/**
 * The prefixes a request's breakpoints end, in prompt order (tools, system, messages, as Anthropic
 * and Bedrock build the cached prefix): each keyed by a running hash of the model and everything
 * before it, with its token count (the same counts as countInputTokens, in this order).
 * Automatic mode (OpenAI) caches everything before the last turn (tools and system prompt at least).
 * Linear in the request's size.
 */
export function cachePrefixes(request: SimChatRequest, modelId: string): Prefix[] {
  const cache = request.cache;
  if (cache === undefined) return [];
  const points = new Set(cache.mode === 'explicit' ? cache.points.map(pointKey) : []);
  const prefixes: Prefix[] = [];
  let hash = hashString(modelId);
  let tokens = 3;
  const add = (text: string, extra: number): void => {
    hash = hashString(text, hash);
    tokens += extra + countTokens(text);
  };
  const mark = (): void => {
    if (tokens >= minCachedTokens) prefixes.push({ key: `${modelId}\u0000${hash}`, tokens });
  };
  request.tools.forEach((tool, index) => {
    add(tool.name + tool.description + JSON.stringify(tool.schema), 10);
    if (points.has(`t${index}`)) mark();
  });
  add(request.system, 0);
  if (points.has('s')) mark();
  const automaticEnd = request.messages.length - 1;
  request.messages.forEach((message, index) => {
    if (cache.mode === 'automatic' && index === automaticEnd) mark();
    tokens += 4;
    hash = hashString(message.role, hash);
    message.content.forEach((block, blockIndex) => {
      add(blockText(block), 0);
      if (points.has(`m${index}:${blockIndex}`)) mark();
    });
  });
  return prefixes;
}

/**
 * The simulated prompt cache of one simulator: a prefix seen before (within its TTL) is read from
 * the cache; the part of the longest breakpoint not yet cached is written (reported only for
 * explicit breakpoints, as OpenAI reports no writes).
 */
export class PromptCache {
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** The result with its input split into cache reads, writes and the rest. */
  apply(request: SimChatRequest, modelId: string, result: SimChatResult): SimChatResult {
    const prefixes = cachePrefixes(request, modelId);
    if (prefixes.length === 0) return result;
    const now = this.now();
    let read = 0;
    let longest = 0;
    for (const prefix of prefixes) {
      const expiry = this.seen.get(prefix.key);
      if (expiry !== undefined && expiry > now) read = Math.max(read, prefix.tokens);
      longest = Math.max(longest, prefix.tokens);
      this.remember(prefix.key, now + ttlMs);
    }
    read = Math.min(read, result.inputTokens);
    const write =
      request.cache?.mode === 'explicit' ? Math.min(longest - read, result.inputTokens - read) : 0;
    return {
      ...result,
      inputTokens: result.inputTokens - read - Math.max(0, write),
      cacheReadTokens: read,
      cacheWriteTokens: Math.max(0, write),
    };
  }

  private remember(key: string, expiry: number): void {
    this.seen.delete(key);
    this.seen.set(key, expiry);
    if (this.seen.size > maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
