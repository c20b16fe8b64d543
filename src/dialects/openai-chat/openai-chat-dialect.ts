import type { Dialect } from '../dialect.ts';
import { parseOpenaiChat } from './openai-chat-request.ts';
import { renderOpenaiChatResponse } from './openai-chat-response.ts';
import { openaiEmbeddings } from './openai-embeddings.ts';
import { renderOpenaiError } from './openai-error.ts';
import { openaiModels } from './openai-models.ts';
import { OpenaiStreamRenderer } from './openai-stream-renderer.ts';

/**
 * The OpenAI API as the openai SDKs and OpenAI-compatible clients speak it: Chat Completions (also
 * without the /v1 prefix, as some clients send it), embeddings and models. Claims no request by its
 * headers: it is the registry's default, answering whatever no other dialect claims.
 */
export const openaiChatDialect: Dialect = {
  specificationVersion: 'v1',
  name: 'openai',
  routes: [
    { method: 'POST', path: '/v1/chat/completions', operation: 'chat' },
    { method: 'POST', path: '/chat/completions', operation: 'chat' },
    { method: 'POST', path: '/v1/embeddings', operation: 'embeddings' },
    { method: 'GET', path: '/v1/models', operation: 'list-models' },
    { method: 'GET', path: '/v1/models/', operation: 'get-model' },
  ],
  claims: () => false,
  requestIdHeaders: [],
  parseChat: parseOpenaiChat,
  renderChat: renderOpenaiChatResponse,
  createStreamRenderer: (parsed, requestId, created) =>
    new OpenaiStreamRenderer({
      model: parsed.request.model,
      created,
      includeUsage: parsed.includeUsage,
      fallbackId: `chatcmpl-${requestId}`,
    }),
  renderError: renderOpenaiError,
  models: openaiModels,
  embeddings: openaiEmbeddings,
};
