import { randomBytes } from 'node:crypto';

/** A request id: sortable by time, unique, short enough for logs. */
export function createRequestId(now: number = Date.now()): string {
  return `req_${now.toString(36)}${randomBytes(8).toString('hex')}`;
}

/** A random id with a prefix, for upstream-less ids (tool calls, messages). */
export function createId(prefix: string, bytes = 12): string {
  return `${prefix}${randomBytes(bytes).toString('hex')}`;
}
