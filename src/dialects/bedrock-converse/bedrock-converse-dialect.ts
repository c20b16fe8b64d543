import type { Dialect } from '../dialect.ts';
import { bedrockCountTokens } from './bedrock-count-tokens.ts';
import { renderBedrockError } from './bedrock-error.ts';
import { parseConverse } from './bedrock-converse-request.ts';
import { renderConverseResponse } from './bedrock-converse-response.ts';
import { ConverseStreamRenderer } from './bedrock-converse-stream-renderer.ts';

/** The content type of Bedrock's streamed answers. */
export const bedrockEventStreamType = 'application/vnd.amazon.eventstream';

/**
 * Whether the headers show an AWS SDK (JS, boto3, Java all send `amz-sdk-invocation-id`): an unknown
 * path under /model/ is then answered as a Bedrock exception.
 */
export function claimsAwsSdk(headers: Readonly<Record<string, unknown>>): boolean {
  return headers['amz-sdk-invocation-id'] !== undefined;
}

/**
 * Bedrock Runtime's Converse API as the AWS SDKs speak it (BedrockRuntimeClient ConverseCommand,
 * ConverseStreamCommand; boto3 converse / converse_stream): the model group is the path's
 * `modelId`, the stream is binary event-stream frames, errors are Bedrock exceptions
 * (`x-amzn-errortype`), and the request id is echoed in `x-amzn-requestid`.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
export const bedrockConverseDialect: Dialect = {
  specificationVersion: 'v1',
  name: 'bedrock',
  routes: [
    { method: 'POST', path: '/model/{model}/converse', operation: 'chat', stream: false },
    { method: 'POST', path: '/model/{model}/converse-stream', operation: 'chat', stream: true },
    { method: 'POST', path: '/model/{model}/count-tokens', operation: 'count-tokens' },
  ],
  claims: claimsAwsSdk,
  requestIdHeaders: ['x-amzn-requestid'],
  // The metadata event always carries the usage.
  parseChat: (body, route) => ({ request: parseConverse(body, route), includeUsage: true }),
  renderChat: (response) => renderConverseResponse(response),
  createStreamRenderer: () => new ConverseStreamRenderer(),
  renderError: renderBedrockError,
  streamContentType: bedrockEventStreamType,
  models: undefined,
  embeddings: undefined,
  // The group's first deployment with an upstream counter answers, else the gateway's estimate.
  countTokens: bedrockCountTokens,
};
