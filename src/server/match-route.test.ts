import { describe, expect, it } from 'vitest';
import { anthropicMessagesDialect } from '../dialects/anthropic-messages/anthropic-messages-dialect.ts';
import type { Dialect } from '../dialects/dialect.ts';
import { dialects } from '../dialects/dialect-registry.ts';
import { openaiChatDialect } from '../dialects/openai-chat/openai-chat-dialect.ts';
import { bedrockConverseDialect } from '../dialects/bedrock-converse/bedrock-converse-dialect.ts';
import { chatRouteParams, createRouteTable } from './match-route.ts';

const table = createRouteTable(dialects);
const anthropicClient = { 'anthropic-version': '2023-06-01' };

describe('the route table built from the dialect registry', () => {
  it('serves every path each dialect declares, in that dialect', () => {
    for (const dialect of dialects) {
      for (const route of dialect.routes) {
        const path = route.operation === 'get-model' ? `${route.path}some-model` : route.path;
        const headers = dialect === anthropicMessagesDialect ? anthropicClient : {};
        const matched = table.match(path, headers);
        expect(matched?.dialect, `${dialect.name} ${path}`).toBe(dialect);
        expect(matched?.operation).toBe(route.operation);
        expect(matched?.method).toBe(route.method);
      }
    }
  });

  it('gives a path several dialects serve to the one claiming the request, else the first', () => {
    expect(table.match('/v1/models', anthropicClient)?.dialect).toBe(anthropicMessagesDialect);
    expect(table.match('/v1/models', {})?.dialect).toBe(openaiChatDialect);
    expect(table.match('/v1/models/claude', anthropicClient)?.dialect).toBe(anthropicMessagesDialect);
    expect(table.match('/v1/models/gpt', {})?.dialect).toBe(openaiChatDialect);
    // A claim never moves a request off a path only one dialect serves.
    expect(table.match('/v1/chat/completions', anthropicClient)?.dialect).toBe(openaiChatDialect);
  });

  it('answers unknown paths in the claiming dialect, else the first registered', () => {
    expect(table.match('/v2/nothing', {})).toBeUndefined();
    expect(table.match('/v1/models/', {})).toBeUndefined();
    expect(table.dialectFor(anthropicClient)).toBe(anthropicMessagesDialect);
    expect(table.dialectFor({})).toBe(openaiChatDialect);
  });

  it('matches a {model} path segment, decoded, and hands it and the route stream to parseChat', () => {
    const arn = 'arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic.x-v2:0';
    const path = `/model/${encodeURIComponent(arn)}/converse-stream`;
    const matched = table.match(path, {});
    expect(matched?.dialect).toBe(bedrockConverseDialect);
    expect(matched && chatRouteParams(matched, path)).toEqual({ model: arn, stream: true });
    const plain = '/model/fast/converse';
    const converse = table.match(plain, {});
    expect(converse && chatRouteParams(converse, plain)).toEqual({ model: 'fast', stream: false });
    // One whole segment: nothing when it is empty or holds a raw slash.
    expect(table.match('/model//converse', {})).toBeUndefined();
    expect(table.match('/model/a/b/converse', {})).toBeUndefined();
    expect(table.match('/model/fast/converse/more', {})).toBeUndefined();
    const openai = table.match('/v1/chat/completions', {});
    expect(openai && chatRouteParams(openai, '/v1/chat/completions')).toEqual({});
  });

  it('serves the health checks in no dialect', () => {
    expect(table.match('/health/live', {})).toMatchObject({ operation: 'live', dialect: undefined });
    expect(table.match('/health/ready', {})).toMatchObject({ operation: 'ready', dialect: undefined });
  });

  it('refuses at startup a dialect whose routes need what it lacks, and duplicate names', () => {
    const noEmbeddings: Dialect = { ...openaiChatDialect, name: 'x', embeddings: undefined };
    expect(() => createRouteTable([noEmbeddings])).toThrow(/x serves \/v1\/embeddings but has no embeddings/);
    const noModels: Dialect = { ...anthropicMessagesDialect, name: 'y', models: undefined };
    expect(() => createRouteTable([noModels])).toThrow(/y serves \/v1\/models but has no models/);
    expect(() => createRouteTable([openaiChatDialect, openaiChatDialect])).toThrow(
      /two dialects are named openai/,
    );
    expect(() => createRouteTable([])).toThrow(/at least one dialect/);
  });
});
