import { describe, expect, it } from 'vitest';
import { classifyBedrockError, isContextWindowMessage, sanitizeErrorType } from './classify-bedrock-error.ts';

describe('classifyBedrockError', () => {
  const cases = [
    ['ThrottlingException', 429, 'upstream_rate_limited', true, true],
    ['ModelNotReadyException', 429, 'upstream_rate_limited', true, true],
    ['ServiceUnavailableException', 503, 'upstream_unavailable', true, true],
    ['InternalServerException', 500, 'upstream_server_error', true, true],
    ['ModelTimeoutException', 408, 'upstream_timeout', true, true],
    ['ValidationException', 400, 'upstream_invalid_request', false, false],
    ['ServiceQuotaExceededException', 400, 'upstream_quota_exceeded', false, true],
    ['AccessDeniedException', 403, 'upstream_auth_failed', false, true],
    ['UnrecognizedClientException', 403, 'upstream_auth_failed', false, true],
    ['InvalidSignatureException', 403, 'upstream_auth_failed', false, true],
    ['ResourceNotFoundException', 404, 'upstream_not_found', false, true],
    ['ModelErrorException', 424, 'upstream_model_error', false, true],
    ['SomethingNewException', 503, 'upstream_unavailable', true, true],
  ] as const;

  it.each(cases)('%s (%i) → %s', (errorType, status, code, retryable, fallbackEligible) => {
    const error = classifyBedrockError({ status, errorType, message: 'x' });
    expect({
      code: error.code,
      retryable: error.retryable,
      fallbackEligible: error.fallbackEligible,
      upstreamStatus: error.upstreamStatus,
      upstreamCode: error.upstreamCode,
    }).toEqual({ code, retryable, fallbackEligible, upstreamStatus: status, upstreamCode: errorType });
  });

  it('classifies lowerCamel in-stream exception names with their HTTP status', () => {
    const throttled = classifyBedrockError({
      status: undefined,
      errorType: 'throttlingException',
      message: 'x',
    });
    expect(throttled.code).toBe('upstream_rate_limited');
    expect(throttled.upstreamStatus).toBe(429);
    const modelStream = classifyBedrockError({
      status: undefined,
      errorType: 'modelStreamErrorException',
      message: 'x',
    });
    expect(modelStream.code).toBe('upstream_model_error');
    expect(modelStream.fallbackEligible).toBe(true);
  });

  it('turns over-long prompts into context_window_exceeded', () => {
    for (const message of [
      'Input is too long for requested model.',
      'prompt is too long: 210000 tokens > 200000 maximum',
      'The model returned the following errors: too many input tokens',
      'The input exceeds the context window of this model',
    ]) {
      const error = classifyBedrockError({ status: 400, errorType: 'ValidationException', message });
      expect(error.code, message).toBe('context_window_exceeded');
      expect(error.retryable).toBe(false);
    }
  });

  it('keeps the retry-after hint', () => {
    const error = classifyBedrockError({
      status: 429,
      errorType: 'ThrottlingException',
      message: 'Too many tokens, please wait before trying again.',
      retryAfterMs: 2000,
    });
    expect(error.retryAfterMs).toBe(2000);
    expect(error.message).toContain('Too many tokens');
  });
});

describe('sanitizeErrorType', () => {
  it('cuts the type as the SDK does', () => {
    expect(
      sanitizeErrorType('ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'),
    ).toBe('ThrottlingException');
    expect(sanitizeErrorType('com.amazon.coral.validate#ValidationException')).toBe('ValidationException');
    expect(sanitizeErrorType('AccessDeniedException,Other')).toBe('AccessDeniedException');
    expect(sanitizeErrorType('')).toBeUndefined();
  });
});

describe('isContextWindowMessage', () => {
  it('turns a content-filter ValidationException into upstream_content_filtered', () => {
    for (const message of [
      'Output blocked by content filtering policy',
      'This request has been blocked by our content filters.',
      'The prompt violates the acceptable use policy.',
    ]) {
      const error = classifyBedrockError({ status: 400, errorType: 'ValidationException', message });
      expect(error.code, message).toBe('upstream_content_filtered');
      expect(error.contentPolicyFallback).toBe(true);
      expect(error.status).toBe(400);
    }
    const plain = classifyBedrockError({
      status: 400,
      errorType: 'ValidationException',
      message: 'bad field',
    });
    expect(plain.code).toBe('upstream_invalid_request');
  });

  it('does not mistake token throttling for a context window problem', () => {
    expect(isContextWindowMessage('Too many tokens, please wait before trying again.')).toBe(false);
    expect(isContextWindowMessage('Malformed input request: extraneous key [foo]')).toBe(false);
  });
});
