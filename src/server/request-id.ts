import { createRequestId } from '../core/ids.ts';

const saneRequestId = /^[A-Za-z0-9._-]{1,128}$/;

/** The client's `x-request-id` when it is sane (≤ 128 chars of [A-Za-z0-9._-]), else a new id. */
export function resolveRequestId(incoming: string | string[] | undefined, now: number): string {
  return typeof incoming === 'string' && saneRequestId.test(incoming) ? incoming : createRequestId(now);
}
