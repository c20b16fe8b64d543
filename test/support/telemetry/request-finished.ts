import type { RequestFinished } from '../../../src/core/gateway-events.ts';

/**
 * A `request-finished` event of one plain chat request that succeeded (tenant `t`, key `k`, one
 * attempt, one token each way, 10 ms); `fields` name its group, target and start, and override the rest.
 */
export function requestFinished(
  fields: Partial<RequestFinished> & Pick<RequestFinished, 'requestedGroup' | 'target' | 'startedAt'>,
): RequestFinished {
  return {
    type: 'request-finished',
    requestId: 'r',
    dialect: 'openai',
    endpoint: 'chat',
    tenant: 't',
    keyId: 'k',
    stream: false,
    status: 200,
    attempts: 1,
    fallbacks: 0,
    inputTokens: 1,
    outputTokens: 1,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    latencyMs: 10,
    firstTokenMs: 10,
    overheadMs: 1,
    ...fields,
  };
}
