import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.ts';
import { abortedError, classifyTransportError } from './transport-errors.ts';

const live = new AbortController().signal;
const withCode = (code: string, message = 'boom'): Error => Object.assign(new Error(message), { code });

describe('classifyTransportError', () => {
  it.each([
    ['ECONNREFUSED', 'request', 'upstream_connection_failed'],
    ['ECONNRESET', 'request', 'upstream_connection_failed'],
    ['UND_ERR_SOCKET', 'body', 'upstream_connection_failed'],
    ['UND_ERR_CONNECT_TIMEOUT', 'request', 'upstream_connection_failed'],
    ['UND_ERR_HEADERS_TIMEOUT', 'request', 'upstream_timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'stream', 'upstream_timeout'],
    ['UND_ERR_SOCKET', 'stream', 'upstream_stream_interrupted'],
    ['ECONNRESET', 'stream', 'upstream_stream_interrupted'],
    ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'body', 'upstream_bad_response'],
  ] as const)('%s while %s → %s (retryable, fallback-eligible)', (code, phase, expected) => {
    const error = classifyTransportError(withCode(code), live, phase, 'up');
    expect(error).toMatchObject({ code: expected, retryable: true, fallbackEligible: true });
  });

  it('reads the code of a wrapped cause', () => {
    const wrapped = new Error('outer', { cause: withCode('ECONNREFUSED') });
    expect(classifyTransportError(wrapped, live, 'request', 'up').code).toBe('upstream_connection_failed');
  });

  it('an aborted signal wins over the socket error it caused', () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      classifyTransportError(withCode('UND_ERR_ABORTED'), controller.signal, 'stream', 'up'),
    ).toMatchObject({
      code: 'client_closed',
      retryable: false,
      fallbackEligible: false,
    });
  });

  it('abortedError rethrows a policy reason that is a GatewayError', () => {
    const reason = new GatewayError('deadline', { code: 'timeout' });
    const controller = new AbortController();
    controller.abort(reason);
    expect(abortedError(controller.signal)).toBe(reason);
  });
});
