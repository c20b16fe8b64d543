/** Token usage as the upstream reported it. */
export interface Usage {
  /** Input tokens billed at the normal input price (cache reads and writes excluded). */
  readonly inputTokens: number;
  /** Output tokens, reasoning tokens included (they are billed as output everywhere). */
  readonly outputTokens: number;
  /** Of `outputTokens`, how many the model spent reasoning, where reported (or estimated from the text). */
  readonly reasoningTokens?: number | undefined;
  /** Input tokens served from the provider's prompt cache, where reported. */
  readonly cacheReadInputTokens?: number | undefined;
  /** Input tokens written to the provider's prompt cache, where reported. */
  readonly cacheWriteInputTokens?: number | undefined;
  /** True when the upstream reported no usage and these counts are the adapter's estimate. */
  readonly estimated?: boolean | undefined;
}

/** Total tokens counted against tpm limits. */
export function totalTokens(usage: Usage): number {
  return (
    usage.inputTokens +
    usage.outputTokens +
    (usage.cacheReadInputTokens ?? 0) +
    (usage.cacheWriteInputTokens ?? 0)
  );
}
