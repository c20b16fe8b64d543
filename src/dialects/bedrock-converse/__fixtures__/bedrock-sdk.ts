// The AWS SDK as the Bedrock dialects' contract subjects and tests drive it.
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConflictException,
  InternalServerException,
  ModelErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { SdkError } from '../../dialect.contract.ts';

/**
 * A BedrockRuntimeClient with the gateway's virtual key as a Bedrock API key (bearer token), over
 * HTTP/1.1, without SDK retries unless asked.
 */
export function bedrockClient(endpoint: string, key: string, maxAttempts = 1): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint,
    token: { token: key },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts,
    requestHandler: new NodeHttpHandler(),
  });
}

type ExceptionClass = abstract new (...args: never[]) => Error;

/** The SDK class each status reads as (Bedrock's exceptions, as the API reference lists them). */
const classByStatus: Readonly<Record<number, ExceptionClass>> = {
  400: ValidationException,
  401: AccessDeniedException,
  402: ServiceQuotaExceededException,
  403: AccessDeniedException,
  404: ResourceNotFoundException,
  405: ValidationException,
  408: ModelTimeoutException,
  409: ConflictException,
  413: ValidationException,
  415: ValidationException,
  429: ThrottlingException,
  499: ValidationException,
  500: InternalServerException,
  502: ModelErrorException,
  503: ServiceUnavailableException,
  504: ModelTimeoutException,
  529: ServiceUnavailableException,
};

/** The exception class the SDK must throw for a status. */
export function bedrockErrorClassFor(status: number): ExceptionClass {
  const found = classByStatus[status];
  if (found === undefined) throw new Error(`no Bedrock exception for status ${status}`);
  return found;
}

/** Every exception name the gateway may render, and the in-stream members' classes. */
export const bedrockErrorTypes: readonly string[] = [
  ...new Set([...Object.values(classByStatus).map((type) => type.name), 'ModelStreamErrorException']),
];

/** What a thrown SDK exception carries, in the contract's terms. */
export function readBedrockError(thrown: unknown): SdkError {
  if (!(thrown instanceof BedrockRuntimeServiceException))
    throw new Error(`not a Bedrock service exception: ${String(thrown)}`);
  const response = (thrown as { $response?: { headers?: Record<string, string> } }).$response;
  return {
    status: response === undefined ? undefined : thrown.$metadata.httpStatusCode,
    message: thrown.message,
    retryAfter: response?.headers?.['retry-after'],
    type: thrown.name,
    code: undefined,
  };
}
