import type { Usage } from './usage.ts';

/** USD per million tokens. */
export interface Price {
  readonly input: number;
  readonly output: number;
  /** Price of input tokens read from the prompt cache (default: the input price). */
  readonly cachedInput?: number | undefined;
  /** Price of input tokens written to the prompt cache (default: the input price). */
  readonly cacheWrite?: number | undefined;
}

/** Cost in USD of one response's usage. */
export function computeCostUsd(price: Price, usage: Usage): number {
  const perToken = 1 / 1_000_000;
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      (usage.cacheReadInputTokens ?? 0) * (price.cachedInput ?? price.input) +
      (usage.cacheWriteInputTokens ?? 0) * (price.cacheWrite ?? price.input)) *
    perToken
  );
}
