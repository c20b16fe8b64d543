import type { RequestFinished } from '../core/gateway-events.ts';
import type { SpendRecord } from '../persistence/repositories.ts';

/** The spend record of a finished request (target fields are empty when no deployment was tried). */
export function spendRecordFromEvent(event: RequestFinished): SpendRecord {
  const target = event.target;
  return {
    id: event.requestId,
    requestId: event.clientRequestId ?? event.requestId,
    time: event.startedAt,
    tenant: event.tenant,
    keyId: event.keyId,
    requestedGroup: event.requestedGroup,
    servedGroup: target?.group ?? '',
    deployment: target?.deployment ?? '',
    provider: target?.provider ?? '',
    providerType: target?.providerType ?? '',
    region: target?.region ?? '',
    account: target?.account ?? '',
    model: target?.model ?? '',
    dialect: event.dialect,
    endpoint: event.endpoint,
    stream: event.stream,
    status: event.status,
    errorCode: event.errorCode,
    attempts: event.attempts,
    fallbacks: event.fallbacks,
    inputTokens: event.inputTokens,
    outputTokens: event.outputTokens,
    cacheReadTokens: event.cacheReadInputTokens,
    cacheWriteTokens: event.cacheWriteInputTokens,
    costUsd: event.costUsd,
    latencyMs: event.latencyMs,
    firstTokenMs: event.firstTokenMs,
    overheadMs: event.overheadMs,
    usageEstimated: event.usageEstimated === true,
    answeredBy: event.answeredBy,
    savedUsd: event.savedUsd,
    route: event.route,
  };
}
