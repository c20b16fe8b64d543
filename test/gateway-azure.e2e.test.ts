import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { openaiClient, routeHeaders } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 14, Azure OpenAI egress: a real gateway process in front of the simulator's Azure OpenAI
// endpoint (/openai/deployments/{deployment}/..., api-version required, api-key or Entra bearer).
// Chat, streams and embeddings are served; a content-filter refusal is classified; every upstream
// call carried api-version (the simulator refuses one without it, and records the refusal).

let sim: RunningSimulator;
let gateway: GatewayProcess;
let client: OpenAI;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 21 });
  const azure = { type: 'openai' as const, base_url: `${sim.url}/openai`, deployment_paths: true };
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      providers: {
        'azure-key': {
          ...azure,
          api_version: '2024-10-21',
          auth_header: 'api-key',
          api_key: 'sk-sim-openai',
        },
        // An Entra ID token from the environment, sent as bearer.
        'azure-entra': { ...azure, api_version: '2025-01-01-preview', api_key: '${AZURE_OPENAI_AD_TOKEN}' },
        // The api-version in base_url's query instead (kept on every call).
        'azure-query': {
          type: 'openai',
          base_url: `${sim.url}/openai?api-version=2024-06-01`,
          deployment_paths: true,
          auth_header: 'api-key',
          api_key: 'sk-sim-openai',
        },
        // No api-version at all: Azure (and the simulator) answer 404.
        'azure-unversioned': { ...azure, auth_header: 'api-key', api_key: 'sk-sim-openai' },
      },
      models: {
        'azure-gpt': singleDeploymentGroup('azure-gpt', 'azure-key', simModels.gpt),
        'azure-entra-gpt': singleDeploymentGroup('azure-entra-gpt', 'azure-entra', simModels.gpt),
        'azure-query-gpt': singleDeploymentGroup('azure-query-gpt', 'azure-query', simModels.gpt),
        'azure-unversioned-gpt': singleDeploymentGroup(
          'azure-unversioned-gpt',
          'azure-unversioned',
          simModels.gpt,
        ),
        'azure-embed': singleDeploymentGroup('azure-embed', 'azure-key', simModels.openaiEmbed),
      },
    }),
    env: { AZURE_OPENAI_AD_TOKEN: 'sk-sim-openai' },
  });
  client = openaiClient(gateway.url);
});
afterAll(async () => {
  await gateway.stop();
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

/** The simulator's Azure refusals (missing api-version, bad key, unknown deployment). */
const azureRefusals = () => sim.invocations().filter((record) => record.operation === 'Azure');

describe('openai SDK → gateway → Azure OpenAI (simulator)', () => {
  it.each(['azure-gpt', 'azure-entra-gpt', 'azure-query-gpt'])('%s: serves chat', async (group) => {
    const { data, response } = await client.chat.completions
      .create({
        model: group,
        messages: [{ role: 'user', content: 'Hello Azure' }],
        max_completion_tokens: 40,
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toMatch(/\w+/);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(routeHeaders(response.headers)).toMatchObject({ deployment: group, attempts: 1 });
    expect(azureRefusals()).toEqual([]);
    expect(sim.invocations()).toEqual([
      expect.objectContaining({ operation: 'ChatCompletions', modelId: simModels.gpt, status: 200 }),
    ]);
  });

  it('streams', async () => {
    const stream = await client.chat.completions.create({
      model: 'azure-gpt',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toMatch(/\w+/);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(azureRefusals()).toEqual([]);
    expect(sim.invocations()).toEqual([
      expect.objectContaining({ operation: 'ChatCompletions', stream: true, status: 200 }),
    ]);
  });

  it('serves embeddings at the deployment path', async () => {
    const answer = await client.embeddings.create({
      model: 'azure-embed',
      input: ['one', 'two'],
      encoding_format: 'float',
    });
    expect(answer.data.map((item) => item.embedding.length)).toEqual([1536, 1536]);
    expect(azureRefusals()).toEqual([]);
  });

  it('classifies a content-filter refusal: 400 upstream_content_filtered, not retried', async () => {
    sim.addFault({ kind: 'error', status: 400, code: 'content_filter', api: 'openai', count: 1 });
    const error = await client.chat.completions
      .create({ model: 'azure-gpt', messages: [{ role: 'user', content: 'Something the filter refuses' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.code).toBe('upstream_content_filtered');
    expect(apiError.message).toContain('content filter refused the request');
    expect(apiError.message).toContain('ResponsibleAIPolicyViolation');
    expect(sim.invocations()).toEqual([
      expect.objectContaining({ status: 400, errorCode: 'content_filter' }),
    ]);
  });

  it('passes an answer the content filter cut on as finish_reason content_filter, unary and streamed', async () => {
    sim.addFault({ kind: 'content_filter', api: 'openai', count: 2 });
    const answer = await client.chat.completions.create({
      model: 'azure-gpt',
      messages: [{ role: 'user', content: 'Something the output filter cuts' }],
    });
    expect(answer.choices[0]?.finish_reason).toBe('content_filter');
    const stream = await client.chat.completions.create({
      model: 'azure-gpt',
      messages: [{ role: 'user', content: 'Something the output filter cuts' }],
      stream: true,
    });
    const finishes: string[] = [];
    for await (const chunk of stream) {
      const finish = chunk.choices[0]?.finish_reason;
      if (finish !== null && finish !== undefined) finishes.push(finish);
    }
    expect(finishes).toEqual(['content_filter']);
    expect(sim.invocations().map((record) => [record.status, record.errorCode])).toEqual([
      [200, 'ContentFiltered'],
      [200, 'ContentFiltered'],
    ]);
  });

  it('without an api-version the upstream answers 404, as Azure does (so the ones above carried it)', async () => {
    const error = await client.chat.completions
      .create({ model: 'azure-unversioned-gpt', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_not_found');
    expect(azureRefusals().length).toBeGreaterThan(0);
    expect(azureRefusals().every((record) => record.status === 404 && record.errorCode === '404')).toBe(true);
  });
});
