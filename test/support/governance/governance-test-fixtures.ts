import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestFinished } from '../../../src/core/gateway-events.ts';
import { openRepositories } from '../../../src/persistence/open-repositories.ts';
import type { Repositories } from '../../../src/persistence/repositories.ts';

/** A temporary SQLite database for governance tests. For tests only. */
export async function openTemporaryRepositories(): Promise<{
  repositories: Repositories;
  path: string;
  directory: string;
  dispose: () => Promise<void>;
}> {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-governance-'));
  const path = join(directory, 'spillway.db');
  const repositories = await openRepositories({ path });
  return {
    repositories,
    path,
    directory,
    dispose: async () => {
      await repositories.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A request-finished event with defaults. For tests only. */
export function requestFinished(
  overrides: Partial<RequestFinished> & { requestId: string },
): RequestFinished {
  return {
    type: 'request-finished',
    dialect: 'openai',
    endpoint: 'chat',
    tenant: 'acme',
    keyId: 'key_1',
    requestedGroup: 'claude',
    target: {
      group: 'claude',
      deployment: 'sonnet-east',
      provider: 'east',
      providerType: 'bedrock',
      region: 'us-east-1',
      account: 'east',
      model: 'us.anthropic.claude-sonnet-4-6',
    },
    stream: false,
    status: 200,
    attempts: 1,
    fallbacks: 0,
    inputTokens: 10,
    outputTokens: 5,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    costUsd: 0.001,
    startedAt: 1_700_000_000_000,
    latencyMs: 100,
    overheadMs: 2,
    ...overrides,
  };
}
