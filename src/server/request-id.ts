const saneRequestId = /^[A-Za-z0-9._-]{1,128}$/;

/** The client's `x-request-id` when it is sane (≤ 128 chars of [A-Za-z0-9._-]); otherwise undefined. */
export function clientRequestIdOf(incoming: string | string[] | undefined): string | undefined {
  return typeof incoming === 'string' && saneRequestId.test(incoming) ? incoming : undefined;
}
