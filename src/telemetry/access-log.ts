import { pino, type DestinationStream, type Logger } from 'pino';
import type { EventSink, GatewayEvent, RequestFinished } from '../core/gateway-events.ts';

/** Log levels, as in `server.log_level`. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface AccessLogOptions {
  /** Lines below this level are dropped. Finished requests log at info; 5xx and in-band failures at warn. */
  readonly level?: LogLevel | undefined;
  /**
   * Where lines go. Default: stdout through an asynchronous pino destination (synchronous stdout
   * writes dominate CPU at high request rates; benchmarking.md).
   */
  readonly destination?: DestinationStream | undefined;
}

export interface AccessLog {
  /** Writes one line per `request-finished`; ignores the other events; never throws. */
  readonly sink: EventSink;
  /** The pino logger, for other components that want the same destination. */
  readonly logger: Logger;
  /** Writes out buffered lines (call on shutdown). */
  flush(): Promise<void>;
}

/**
 * The access log: one structured JSON line per finished request with who, where, how it went and
 * how long it took. Never keys (only the key id) and never bodies.
 */
export function createAccessLog(options: AccessLogOptions = {}): AccessLog {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false });
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    logger,
    sink: {
      emit(event: GatewayEvent): void {
        if (event.type !== 'request-finished') return;
        try {
          const failed = event.status >= 500 || (event.errorCode !== undefined && event.status < 400);
          if (failed) {
            if (logger.isLevelEnabled('warn')) logger.warn(accessLine(event), 'request finished');
          } else if (logger.isLevelEnabled('info')) {
            logger.info(accessLine(event), 'request finished');
          }
        } catch {
          // logging must never break the request path
        }
      },
    },
    flush: () =>
      new Promise<void>((resolve, reject) => {
        logger.flush((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
}

/** The fields of one access-log line; picked one by one so nothing secret can slip in. */
export function accessLine(event: RequestFinished): Record<string, string | number | boolean> {
  const line: Record<string, string | number | boolean> = {
    requestId: event.requestId,
    tenant: event.tenant,
    keyId: event.keyId,
    dialect: event.dialect,
    endpoint: event.endpoint,
    group: event.requestedGroup,
    stream: event.stream,
    status: event.status,
    attempts: event.attempts,
    fallbacks: event.fallbacks,
    inputTokens: event.inputTokens,
    outputTokens: event.outputTokens,
    totalMs: round(event.latencyMs),
    overheadMs: round(event.overheadMs),
  };
  const target = event.target;
  if (target !== undefined) {
    line['servedGroup'] = target.group;
    line['deployment'] = target.deployment;
    line['provider'] = target.provider;
    line['region'] = target.region;
    line['account'] = target.account;
  }
  if (event.errorCode !== undefined) line['errorCode'] = event.errorCode;
  if (event.cacheReadInputTokens > 0) line['cacheReadInputTokens'] = event.cacheReadInputTokens;
  if (event.cacheWriteInputTokens > 0) line['cacheWriteInputTokens'] = event.cacheWriteInputTokens;
  if (event.costUsd !== undefined) line['costUsd'] = event.costUsd;
  if (event.firstTokenMs !== undefined) line['firstTokenMs'] = round(event.firstTokenMs);
  return line;
}

/** Milliseconds to three decimals (microseconds): enough for overhead, short in the log. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
