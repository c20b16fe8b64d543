import { pino, type DestinationStream, type Logger } from 'pino';
import type { EventSink, GatewayEvent, RequestFinished, Target } from '../core/gateway-events.ts';
import { LineBatcher, type LineDestination } from './line-batcher.ts';

/** Log levels, as in `server.log_level`. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface AccessLogOptions {
  /** Lines below this level are dropped. Finished requests log at info; 5xx and in-band failures at warn. */
  readonly level?: LogLevel | undefined;
  /**
   * Where lines go. Default: stdout through an asynchronous pino destination (synchronous stdout
   * writes dominate CPU at high request rates; docs/performance.md).
   */
  readonly destination?: DestinationStream | undefined;
}

export interface AccessLog {
  /** Writes one line per `request-finished`; ignores the other events; never throws. */
  readonly sink: EventSink;
  /** The pino logger, for other components that want the same destination. */
  readonly logger: Logger;
  /** Writes out buffered lines (call on shutdown). Lines are otherwise written once per event-loop turn. */
  flush(): Promise<void>;
}

/**
 * The access log: one structured JSON line per finished request with who, where, how it went and
 * how long it took. Never keys (only the key id) and never bodies.
 */
export function createAccessLog(options: AccessLogOptions = {}): AccessLog {
  // Every line, the access log's and the logger's, goes through one batcher: one write per turn of
  // the event loop, in order (line-batcher.ts).
  const lines = new LineBatcher(
    options.destination === undefined ? { bytes: stdoutBytes() } : { text: options.destination },
  );
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    lines,
  );
  return {
    logger,
    sink: {
      emit(event: GatewayEvent): void {
        if (event.type !== 'request-finished') return;
        try {
          const failed = event.status >= 500 || (event.errorCode !== undefined && event.status < 400);
          const level = failed ? 'warn' : 'info';
          // The same line pino would write (level name, ISO time, fields, msg), built as one string
          // without a pino object and its serialisation pass per request.
          if (logger.isLevelEnabled(level)) writeAccessLogLine(lines, level, event);
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

/**
 * Standard output through an asynchronous sonic-boom in buffer mode (its types declare string writes
 * only; in buffer mode it takes Buffers): the batcher encodes each batch once, ASCII ones as Latin-1.
 */
function stdoutBytes(): LineDestination<Buffer> {
  return pino.destination({
    dest: 1,
    sync: false,
    contentMode: 'buffer',
  }) as unknown as LineDestination<Buffer>;
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
  if (event.clientRequestId !== undefined) line['clientRequestId'] = event.clientRequestId;
  if (event.errorCode !== undefined) line['errorCode'] = event.errorCode;
  if (event.usageEstimated === true) line['usageEstimated'] = true;
  if (event.cacheReadInputTokens > 0) line['cacheReadInputTokens'] = event.cacheReadInputTokens;
  if (event.cacheWriteInputTokens > 0) line['cacheWriteInputTokens'] = event.cacheWriteInputTokens;
  if (event.costUsd !== undefined) line['costUsd'] = event.costUsd;
  if (event.answeredBy !== undefined) line['answeredBy'] = event.answeredBy;
  if (event.savedUsd !== undefined) line['savedUsd'] = event.savedUsd;
  if (event.route !== undefined) line['route'] = event.route;
  if (event.firstTokenMs !== undefined) line['firstTokenMs'] = round(event.firstTokenMs);
  return line;
}

/**
 * One access-log line as JSON text with its newline: `{"level":…,"time":…,<accessLine fields>,"msg":"request
 * finished"}`, in the field order of {@link accessLine}, identical to what pino writes for it.
 */
export function accessLogText(level: 'info' | 'warn', event: RequestFinished): string {
  lastLineAscii = true;
  let text = `{"level":"${level}","time":"${isoNow()}","requestId":"${esc(event.requestId)}","tenant":"${esc(event.tenant)}","keyId":"${esc(event.keyId)}","dialect":"${esc(event.dialect)}","endpoint":"${esc(event.endpoint)}","group":"${esc(event.requestedGroup)}","stream":${event.stream ? 'true' : 'false'},"status":${num(event.status)},"attempts":${num(event.attempts)},"fallbacks":${num(event.fallbacks)},"inputTokens":${num(event.inputTokens)},"outputTokens":${num(event.outputTokens)},"totalMs":${num(round(event.latencyMs))},"overheadMs":${num(round(event.overheadMs))}`;
  if (event.target !== undefined) {
    const fields = targetFields(event.target);
    text += fields.text;
    if (!fields.ascii) lastLineAscii = false;
  }
  if (event.clientRequestId !== undefined) text += `,"clientRequestId":"${esc(event.clientRequestId)}"`;
  if (event.errorCode !== undefined) text += `,"errorCode":"${esc(event.errorCode)}"`;
  if (event.usageEstimated === true) text += `,"usageEstimated":true`;
  if (event.cacheReadInputTokens > 0) text += `,"cacheReadInputTokens":${num(event.cacheReadInputTokens)}`;
  if (event.cacheWriteInputTokens > 0) text += `,"cacheWriteInputTokens":${num(event.cacheWriteInputTokens)}`;
  if (event.costUsd !== undefined) text += `,"costUsd":${num(event.costUsd)}`;
  if (event.answeredBy !== undefined) text += `,"answeredBy":"${esc(event.answeredBy)}"`;
  if (event.savedUsd !== undefined) text += `,"savedUsd":${num(event.savedUsd)}`;
  if (event.route !== undefined) text += `,"route":"${esc(event.route)}"`;
  if (event.firstTokenMs !== undefined) text += `,"firstTokenMs":${num(round(event.firstTokenMs))}`;
  return `${text},"msg":"request finished"}\n`;
}

/** The target's fields of a line, built once per target (targets are fixed per deployment). */
const targetFieldsOf = new WeakMap<Target, { readonly text: string; readonly ascii: boolean }>();

function targetFields(target: Target): { readonly text: string; readonly ascii: boolean } {
  let fields = targetFieldsOf.get(target);
  if (fields === undefined) {
    const before = lastLineAscii;
    lastLineAscii = true;
    const text = `,"servedGroup":"${esc(target.group)}","deployment":"${esc(target.deployment)}","provider":"${esc(target.provider)}","region":"${esc(target.region)}","account":"${esc(target.account)}"`;
    fields = { text, ascii: lastLineAscii };
    lastLineAscii = before;
    targetFieldsOf.set(target, fields);
  }
  return fields;
}

/** Queues the line of a finished request, telling the batcher when it is all ASCII. */
export function writeAccessLogLine(lines: LineBatcher, level: 'info' | 'warn', event: RequestFinished): void {
  const text = accessLogText(level, event);
  lines.write(text, lastLineAscii);
}

/**
 * Whether every string in the line {@link accessLogText} built last was ASCII, so its characters are
 * its bytes (the batcher then skips UTF-8 encoding). Set by esc(); read right after the line is built.
 */
let lastLineAscii = true;

/** What esc() must look at: characters JSON escapes, and anything outside ASCII. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const escapeOrNonAscii = /["\\\u0000-\u001f\u007f-\uffff]/;
/** Characters JSON must escape, and lone surrogates (JSON.stringify writes them as \u escapes). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/;
const nonAscii = /[\u0080-\uffff]/;

/** A string's JSON literal without its quotes: the string itself when nothing needs escaping (the usual case). */
function esc(value: string): string {
  if (!escapeOrNonAscii.test(value)) return value;
  if (nonAscii.test(value)) lastLineAscii = false;
  return needsEscape.test(value) ? JSON.stringify(value).slice(1, -1) : value;
}

/** A JSON number (non-finite numbers are null, as in JSON.stringify). */
function num(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

let isoMs = Number.NaN;
let isoText = '';

/** `new Date().toISOString()`, formatted once per millisecond. */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** Milliseconds to three decimals (microseconds): enough for overhead, short in the log. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
