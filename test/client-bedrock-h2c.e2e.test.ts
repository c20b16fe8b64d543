import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { ask, collect, useBedrockIngress } from './support/bedrock-ingress.ts';

// Issue 14: "new BedrockRuntimeClient({ endpoint: gateway })" works unchanged. The SDK's default
// request handler speaks HTTP/2 (cleartext, prior knowledge, to an http:// endpoint); the gateway
// serves it on the same port as HTTP/1.1 (src/core/h2c-front.ts). No requestHandler is given here.

const { world, key } = useBedrockIngress();

function defaultClient(token: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: world.gateway.url,
    token: { token },
    // What AWS_BEARER_TOKEN_BEDROCK sets up: the token, preferred over SigV4.
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
  });
}

describe('the AWS SDK for JavaScript with its default (HTTP/2) handler', () => {
  it('converses and streams through the gateway', async () => {
    const client = defaultClient(key);
    try {
      const answer = await client.send(new ConverseCommand({ modelId: 'nova', messages: ask }));
      expect(answer.output?.message?.content?.[0]?.text).toBeTruthy();
      expect(answer.usage?.outputTokens).toBeGreaterThan(0);
      const streamed = await client.send(new ConverseStreamCommand({ modelId: 'gpt', messages: ask }));
      const events = await collect(streamed.stream);
      const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('');
      expect(text).not.toBe('');
      expect(events.some((event) => event.messageStop !== undefined)).toBe(true);
      expect(events.at(-1)?.metadata?.usage?.outputTokens).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
  });

  it('gets the exception the SDK maps for a bad key', async () => {
    const client = defaultClient('sk-not-a-key-at-all');
    try {
      const thrown = await client
        .send(new ConverseCommand({ modelId: 'nova', messages: ask }))
        .catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(AccessDeniedException);
    } finally {
      client.destroy();
    }
  });
});
