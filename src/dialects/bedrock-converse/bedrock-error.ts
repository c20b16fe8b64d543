import { clientMessage } from '../../errors/client-message.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import type { RenderedError } from '../dialect.ts';
import { errorHeaders } from '../error-headers.ts';

/**
 * The Bedrock exception for each status the gateway answers with. The AWS SDKs pick the exception
 * class from `x-amzn-errortype`, and decide retries from the class and the status: a 429 is a
 * ThrottlingException (throttling backoff, honouring the retry headers), a 503/529 a
 * ServiceUnavailableException (transient, retried); 4xx client errors are never retried.
 * One exception per status, so a status always reads as the same class.
 */
const exceptionByStatus: Readonly<Record<number, string>> = {
  400: 'ValidationException',
  401: 'AccessDeniedException',
  402: 'ServiceQuotaExceededException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  405: 'ValidationException',
  408: 'ModelTimeoutException',
  409: 'ConflictException',
  413: 'ValidationException',
  415: 'ValidationException',
  429: 'ThrottlingException',
  499: 'ValidationException',
  500: 'InternalServerException',
  502: 'ModelErrorException',
  503: 'ServiceUnavailableException',
  504: 'ModelTimeoutException',
  529: 'ServiceUnavailableException',
};

/** The Bedrock exception name (shape name) an error is rendered as. */
export function bedrockExceptionName(error: GatewayError): string {
  return (
    exceptionByStatus[error.status] ??
    (error.status >= 500 ? 'InternalServerException' : 'ValidationException')
  );
}

/**
 * An error as the AWS SDKs read it (restJson1): the status, `x-amzn-errortype` naming the
 * exception, `{"message"}`. On 429/503/529 `x-amz-retry-after` (milliseconds, which the JS SDK
 * reads first) comes before Retry-After (seconds, for boto3 and others).
 */
export function renderBedrockError(error: GatewayError): RenderedError {
  const common = errorHeaders(error);
  const retryMs = common['retry-after-ms'];
  const headers: Record<string, string> = retryMs === undefined ? {} : { 'x-amz-retry-after': retryMs };
  headers['x-amzn-errortype'] = bedrockExceptionName(error);
  for (const name in common) if (name !== 'retry-after-ms') headers[name] = common[name] as string;
  return { status: error.status, headers, body: JSON.stringify({ message: clientMessage(error) }) };
}

/**
 * The stream union member an error ends a stream with (ConverseStream and
 * InvokeModelWithResponseStream share these five; the SDK maps each to its exception class).
 */
export function bedrockStreamExceptionMember(error: GatewayError): string {
  if (error.status === 429) return 'throttlingException';
  if (error.status === 503 || error.status === 529) return 'serviceUnavailableException';
  if (error.status === 500) return 'internalServerException';
  return error.status > 500 ? 'modelStreamErrorException' : 'validationException';
}

/** The JSON payload of an in-stream exception. */
export function bedrockStreamExceptionJson(error: GatewayError): string {
  return JSON.stringify({ message: clientMessage(error) });
}
