import { renderAnthropicMessage } from '../anthropic-messages/anthropic-messages-response.ts';
import { bedrockEventStreamType, claimsAwsSdk } from '../bedrock-converse/bedrock-converse-dialect.ts';
import { renderBedrockError } from '../bedrock-converse/bedrock-error.ts';
import type { Dialect } from '../dialect.ts';
import { parseBedrockInvoke } from './bedrock-invoke-request.ts';
import { InvokeStreamRenderer } from './bedrock-invoke-stream-renderer.ts';

/**
 * Bedrock Runtime's InvokeModel and InvokeModelWithResponseStream with Anthropic-native bodies
 * (`anthropic_version: "bedrock-2023-05-31"`), as the AWS SDKs and AnthropicBedrock clients send
 * them. Bodies and answers are the Anthropic Messages dialect's (its parser and renderers are
 * reused); the path names the group, streams are event-stream `chunk` frames, and errors are
 * Bedrock exceptions like the Converse dialect's. Any deployment serves it through the canonical model.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages.html
 */
export const bedrockInvokeDialect: Dialect = {
  specificationVersion: 'v1',
  name: 'bedrock-invoke',
  routes: [
    { method: 'POST', path: '/model/{model}/invoke', operation: 'chat', stream: false, anyContentType: true },
    {
      method: 'POST',
      path: '/model/{model}/invoke-with-response-stream',
      operation: 'chat',
      stream: true,
      anyContentType: true,
    },
  ],
  claims: claimsAwsSdk,
  requestIdHeaders: ['x-amzn-requestid'],
  parseChat: (body, route) => ({ request: parseBedrockInvoke(body, route), includeUsage: true }),
  renderChat: (response, model) => renderAnthropicMessage(response, model),
  createStreamRenderer: (parsed, requestId) =>
    new InvokeStreamRenderer({ model: parsed.request.model, fallbackId: `msg_bdrk_${requestId}` }),
  renderError: renderBedrockError,
  streamContentType: bedrockEventStreamType,
  models: undefined,
  embeddings: undefined,
};
