import { afterEach, describe, expect, it } from 'vitest';
import { collect, failure } from '../../../test/support/providers/adapter-outcomes.ts';
import {
  startFixtureServer,
  type FixtureReply,
  type FixtureServer,
} from '../../../test/support/providers/fixture-server.ts';
import type { CallContext, ChatModel } from '../../core/chat-model.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import { createOpenAIChatModel, type OpenAIProviderSettings } from './openai-chat-model.ts';
import { openAIEndpoint } from './openai-endpoint.ts';

// Azure OpenAI egress (issue 14): deployment paths, api-version on every call, api-key or Entra
// bearer auth, and content-filter refusals classified.

const context = (): CallContext => ({ signal: new AbortController().signal, requestId: 'req_azure_1' });
const hello: ChatRequest = {
  model: 'group',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  maxTokens: 32,
  stream: false,
};
const jsonReply = (body: unknown, status = 200): FixtureReply => ({
  status,
  headers: { 'content-type': 'application/json' },
  chunks: [JSON.stringify(body)],
});
const completion = (finishReason: string, content: string | null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }],
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
});

let server: FixtureServer | undefined;
let model: ChatModel | undefined;
afterEach(async () => {
  await model?.close();
  await server?.close();
  model = undefined;
  server = undefined;
});

async function azure(
  settings: Partial<OpenAIProviderSettings>,
  reply: (index: number) => FixtureReply,
): Promise<{ server: FixtureServer; model: ChatModel }> {
  server = await startFixtureServer((_request, index) => reply(index));
  model = createOpenAIChatModel({
    providerName: 'azure',
    config: { base_url: `${server.url}/openai`, ...settings },
    modelId: 'my deployment',
  });
  return { server, model };
}

describe('openAIEndpoint', () => {
  it('puts the deployment in the path and api-version in the query', () => {
    const endpoint = openAIEndpoint(
      {
        base_url: 'https://res.openai.azure.com/openai/',
        api_version: '2024-10-21',
        deployment_paths: true,
        api_key: 'k',
        auth_header: 'api-key',
      },
      'gpt-4o prod',
    );
    expect(endpoint.baseUrl).toBe(
      'https://res.openai.azure.com/openai/deployments/gpt-4o%20prod?api-version=2024-10-21',
    );
    expect(endpoint.headers).toEqual({ 'content-type': 'application/json', 'api-key': 'k' });
  });

  it('keeps a query in base_url, api_version replacing its api-version; bearer by default', () => {
    const kept = openAIEndpoint(
      { base_url: 'https://x.test/v1?api-version=2024-02-01&a=b', api_key: 't' },
      'm',
    );
    expect(kept.baseUrl).toBe('https://x.test/v1?api-version=2024-02-01&a=b');
    expect(kept.headers['authorization']).toBe('Bearer t');
    const replaced = openAIEndpoint(
      { base_url: 'https://x.test/v1?api-version=2024-02-01', api_version: '2025-01-01-preview' },
      'm',
    );
    expect(replaced.baseUrl).toBe('https://x.test/v1?api-version=2025-01-01-preview');
    expect(openAIEndpoint({ base_url: 'https://x.test/v1', api_version: '' }, 'm').baseUrl).toBe(
      'https://x.test/v1',
    );
  });
});

describe('Azure OpenAI through the OpenAI adapter', () => {
  const settings = {
    api_version: '2024-10-21',
    deployment_paths: true,
    api_key: 'azure-key',
    auth_header: 'api-key' as const,
  };

  it('calls the deployment path with api-version on chat, stream and embeddings, the key in api-key', async () => {
    const { server, model } = await azure(settings, (index) =>
      index === 0
        ? jsonReply(completion('stop', 'hello'))
        : index === 1
          ? {
              headers: { 'content-type': 'text/event-stream' },
              chunks: [
                'data: {"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}\n\n',
                'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}\n\n',
                'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
                'data: [DONE]\n\n',
              ],
            }
          : jsonReply({ data: [{ index: 0, embedding: [0.5, 0.25] }], usage: { prompt_tokens: 1 } }),
    );
    expect((await model.generate(hello, context())).content).toEqual([{ type: 'text', text: 'hello' }]);
    const streamed = await collect(model.stream({ ...hello, stream: true }, context()));
    expect(streamed.error).toBeUndefined();
    expect(streamed.events).toContainEqual({ type: 'message_stop', stopReason: 'end_turn' });
    await model.embed({ model: 'e', input: ['x'] }, context());
    expect(server.requests.map((request) => request.url)).toEqual([
      '/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21',
      '/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21',
      '/openai/deployments/my%20deployment/embeddings?api-version=2024-10-21',
    ]);
    for (const request of server.requests) {
      expect(request.headers['api-key']).toBe('azure-key');
      expect(request.headers['authorization']).toBeUndefined();
    }
  });

  it('sends an Entra ID token as bearer', async () => {
    const { server, model } = await azure(
      { api_version: '2024-10-21', deployment_paths: true, api_key: 'entra-token' },
      () => jsonReply(completion('stop', 'ok')),
    );
    await model.generate(hello, context());
    expect(server.requests[0]?.headers['authorization']).toBe('Bearer entra-token');
    expect(server.requests[0]?.headers['api-key']).toBeUndefined();
  });

  it('classifies a 400 content_filter (ResponsibleAIPolicyViolation) as upstream_content_filtered', async () => {
    const { model } = await azure(settings, () =>
      jsonReply(
        {
          error: {
            message:
              "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            type: null,
            param: 'prompt',
            code: 'content_filter',
            status: 400,
            innererror: {
              code: 'ResponsibleAIPolicyViolation',
              content_filter_result: { hate: { filtered: true, severity: 'high' } },
            },
          },
        },
        400,
      ),
    );
    const error = await failure(model.generate(hello, context()));
    expect(error).toMatchObject({
      code: 'upstream_content_filtered',
      status: 400,
      retryable: false,
      contentPolicyFallback: true,
      upstreamStatus: 400,
      upstreamCode: 'ResponsibleAIPolicyViolation',
    });
  });

  it('reads finish_reason content_filter as a content_filter stop', async () => {
    const { model } = await azure(settings, () => jsonReply(completion('content_filter', null)));
    expect((await model.generate(hello, context())).stopReason).toBe('content_filter');
  });

  it('classifies an in-stream content_filter error as upstream_content_filtered', async () => {
    const { model } = await azure(settings, () => ({
      headers: { 'content-type': 'text/event-stream' },
      chunks: [
        'data: {"error":{"message":"filtered","code":"content_filter","innererror":{"code":"ResponsibleAIPolicyViolation"}}}\n\n',
      ],
    }));
    const streamed = await collect(model.stream({ ...hello, stream: true }, context()));
    expect(streamed.error?.code).toBe('upstream_content_filtered');
  });
});
