import type { Dialect } from '../dialect.ts';
import { renderAnthropicError } from './anthropic-error.ts';
import { parseAnthropicCountTokens, parseAnthropicMessages } from './anthropic-messages-request.ts';
import { renderAnthropicMessage } from './anthropic-messages-response.ts';
import { anthropicModels } from './anthropic-models.ts';
import { AnthropicStreamRenderer } from './anthropic-stream-renderer.ts';

/**
 * The Anthropic Messages API as @anthropic-ai/sdk speaks it: POST /v1/messages and the Models API.
 * Its clients always send `anthropic-version`, which is how the shared GET /v1/models and errors on
 * unknown paths know to answer in this dialect. Responses carry `request-id`, as Anthropic's do.
 * https://docs.claude.com/en/api/messages
 */
export const anthropicMessagesDialect: Dialect = {
  specificationVersion: 'v1',
  name: 'anthropic',
  routes: [
    { method: 'POST', path: '/v1/messages', operation: 'chat' },
    { method: 'POST', path: '/v1/messages/count_tokens', operation: 'count-tokens' },
    { method: 'GET', path: '/v1/models', operation: 'list-models' },
    { method: 'GET', path: '/v1/models/', operation: 'get-model' },
  ],
  claims: (headers) => headers['anthropic-version'] !== undefined,
  requestIdHeaders: ['request-id'],
  // Anthropic streams always end with usage: there is no option to ask for it.
  parseChat: (body) => ({ request: parseAnthropicMessages(body), includeUsage: true }),
  renderChat: (response, model) => renderAnthropicMessage(response, model),
  createStreamRenderer: (parsed, requestId) =>
    new AnthropicStreamRenderer({ model: parsed.request.model, fallbackId: `msg_${requestId}` }),
  renderError: renderAnthropicError,
  models: anthropicModels,
  embeddings: undefined,
  countTokens: {
    parse: parseAnthropicCountTokens,
    render: (inputTokens) => `{"input_tokens":${inputTokens}}`,
  },
};
