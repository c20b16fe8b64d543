import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { BedrockProviderConfig } from '../../../src/config/schema.ts';
import type { CallContext, ChatModel } from '../../../src/core/chat-model.ts';
import type { ChatRequest } from '../../../src/core/chat-request.ts';
import { FakeClock } from '../fake-clock.ts';
import { createBedrockChatModel } from '../../../src/providers/bedrock/create-bedrock-chat-model.ts';
import { eventFrame, startBedrockFixtureServer, type FixtureServer } from './bedrock-fixture-server.ts';

/** Shared setup of the adapter's fixture-server tests. */

/** A recorded fixture of this folder, parsed. */
export const fixture = (name: string): unknown =>
  JSON.parse(
    readFileSync(new URL(`../../../src/providers/bedrock/__fixtures__/${name}`, import.meta.url), 'utf8'),
  );

/** A recorded stream fixture (`[{event, payload}]`) encoded as event-stream frames. */
export const streamFixture = (name: string): Uint8Array[] =>
  (fixture(name) as { event: string; payload: Record<string, unknown> }[]).map((entry) =>
    eventFrame(entry.event, entry.payload),
  );

/** The secret of the default static credentials. */
export const secret = 'fixture-secret-key';

export const request: ChatRequest = {
  model: 'group',
  stream: false,
  system: 'Be brief.',
  maxTokens: 64,
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
};

export const context = (signal: AbortSignal = new AbortController().signal): CallContext => ({
  signal,
  requestId: 'req_test',
});

/** Registers the hooks of one test file: a fixture server for the file, models closed after each test. */
export function useFixtureServer(): {
  server: () => FixtureServer;
  model: (
    modelId?: string,
    credentials?: BedrockProviderConfig['credentials'],
    endpoint?: string,
  ) => ChatModel;
} {
  let server: FixtureServer | undefined;
  const models: ChatModel[] = [];
  const current = (): FixtureServer => {
    if (server === undefined) throw new Error('fixture server not started');
    return server;
  };
  beforeAll(async () => {
    server = await startBedrockFixtureServer();
  });
  afterEach(async () => {
    await Promise.all(models.splice(0).map((model) => model.close()));
    current().requests.length = 0;
  });
  afterAll(async () => {
    await current().close();
  });
  return {
    server: current,
    model: (
      modelId = 'anthropic.claude-3-haiku-20240307-v1:0',
      credentials = { access_key_id: 'AKIDFIXTURE', secret_access_key: secret },
      endpoint = current().url,
    ) => {
      const created = createBedrockChatModel({
        providerName: 'bedrock-test',
        config: { region: 'us-west-2', endpoint, credentials },
        modelId,
        clock: new FakeClock(Date.parse('2026-11-21T19:11:37Z')),
      });
      models.push(created);
      return created;
    },
  };
}

export { collect, failure } from './adapter-outcomes.ts';
