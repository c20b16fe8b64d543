import type { z } from 'zod';
import type { SimFailure } from '../sim-failure.ts';
import type { SimHttpResponse } from '../sim-http.ts';

/** A Bedrock exception: its code (shape name), HTTP status and message. */
export interface BedrockException {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

const defaultCodeByStatus: Readonly<Record<number, string>> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

const defaultMessageByCode: Readonly<Record<string, string>> = {
  ValidationException: 'Malformed input request, please reformat your input and try again.',
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ResourceNotFoundException: 'The requested resource could not be found.',
  ModelTimeoutException: 'Model has timed out in processing the request. Try your request again.',
  ModelErrorException: 'The model encountered an error processing the request.',
  ModelStreamErrorException: 'The model encountered an error while streaming the response.',
  ThrottlingException: 'Too many requests, please wait before trying again.',
  InternalServerException: 'The server encountered an internal error while processing the request.',
  ServiceUnavailableException: 'Bedrock is unable to process your request.',
  ModelNotReadyException: 'Model is not ready to serve inference requests. The SDK will automatically retry.',
  ServiceQuotaExceededException: 'Your request exceeds the service quota for your account.',
};

/** The exception a failure is on Bedrock (real codes, statuses and texts, protocols.md 1.6). */
export function bedrockException(failure: SimFailure): BedrockException {
  switch (failure.kind) {
    case 'rate':
      return {
        code: 'ThrottlingException',
        status: 429,
        message:
          failure.message ??
          (failure.reason === 'rpm'
            ? 'Too many requests, please wait before trying again.'
            : 'Too many tokens, please wait before trying again.'),
      };
    case 'context_window':
      return { code: 'ValidationException', status: 400, message: 'Input is too long for requested model.' };
    case 'status': {
      const fallback = failure.status >= 500 ? 'InternalServerException' : 'ValidationException';
      const code = failure.code ?? defaultCodeByStatus[failure.status] ?? fallback;
      return {
        code,
        status: failure.status,
        message: failure.message ?? defaultMessageByCode[code] ?? 'An error occurred.',
      };
    }
  }
}

/** Headers every Bedrock response carries. */
export function bedrockHeaders(requestId: string): Record<string, string> {
  return { 'x-amzn-requestid': requestId, date: new Date().toUTCString() };
}

/** Sends a restJson1 error: status, `x-amzn-ErrorType`, `{"message"}`. */
export function sendBedrockException(
  http: SimHttpResponse,
  exception: BedrockException,
  requestId: string,
): void {
  const body = JSON.stringify({ message: exception.message });
  http.writeHead(exception.status, {
    ...bedrockHeaders(requestId),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-errortype': `${exception.code}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  });
  http.end(body);
}

const streamMembers = new Set([
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
]);

/**
 * The in-stream member name for an exception code (lowerCamel), or undefined when the stream
 * union has no such member (then an unmodeled `error` frame is the right shape).
 */
export function streamExceptionMember(code: string, invokeStream: boolean): string | undefined {
  const member = code.charAt(0).toLowerCase() + code.slice(1);
  if (streamMembers.has(member) || (invokeStream && member === 'modelTimeoutException')) return member;
  return undefined;
}

/** Bedrock's wording for a body that fails its schema. */
export function describeZodError(error: z.ZodError): string {
  const count = error.issues.length;
  const details = error.issues
    .map(
      (issue) =>
        `Value at '${issue.path.join('.') || 'body'}' failed to satisfy constraint: ${issue.message}`,
    )
    .join('; ');
  return `${count} validation error${count === 1 ? '' : 's'} detected: ${details}`;
}
