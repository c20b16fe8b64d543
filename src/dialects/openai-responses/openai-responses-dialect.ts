import type { Dialect } from '../dialect.ts';
import { renderOpenaiError } from '../openai-chat/openai-error.ts';
import { parseOpenaiResponses } from './openai-responses-request.ts';
import { echoOf, renderOpenaiResponse } from './openai-responses-response.ts';
import { OpenaiResponsesStreamRenderer } from './openai-responses-stream-renderer.ts';

/**
 * The OpenAI Responses API (`POST /v1/responses`) as the openai SDK (`responses.create`), the Vercel
 * AI SDK's default OpenAI provider and LangChain's `useResponsesApi` speak it. Stateless: nothing is
 * stored, so `previous_response_id` and item references are refused (decision 0011). Errors have the
 * OpenAI error shape. Its path is its own, so it claims no request by its headers.
 */
export const openaiResponsesDialect: Dialect = {
  specificationVersion: 'v1',
  name: 'openai-responses',
  routes: [
    { method: 'POST', path: '/v1/responses', operation: 'chat' },
    { method: 'POST', path: '/responses', operation: 'chat' },
  ],
  claims: () => false,
  requestIdHeaders: [],
  parseChat: parseOpenaiResponses,
  renderChat: renderOpenaiResponse,
  createStreamRenderer: (parsed, requestId, created) =>
    new OpenaiResponsesStreamRenderer({
      model: parsed.request.model,
      created,
      echo: echoOf(parsed),
      fallbackId: `resp_${requestId}`,
    }),
  renderError: renderOpenaiError,
  models: undefined,
  embeddings: undefined,
};
