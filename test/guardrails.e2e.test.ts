import { ConverseCommand, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import Anthropic from '@anthropic-ai/sdk';
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bedrockClient } from '../src/dialects/bedrock-converse/__fixtures__/bedrock-sdk.ts';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, simModels } from './support/gateway-config.ts';
import { runSpillway, startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { metricValue, scrapeMetrics } from './support/metrics.ts';
import { anthropicClient, openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';
import { waitFor } from './support/wait-for.ts';

// Issue 16, guardrails: through a real gateway process with the official SDKs and the simulator.
// PII in a prompt reaches the upstream masked (the simulator's invocation log keeps the prompt
// text); PII in an answer (the simulator repeats chosen text) reaches the client masked, streamed
// and not; a blocked word is refused in each client's dialect; a block mid-stream ends the stream
// with an in-band error; the audit log and the metrics show each action.

const run = randomBytes(4).toString('hex');
const adminKey = `admin-${run}-guardrails`;
const tenant = { name: `gr-${run}`, key: `sk-gr-${run}-key` };
const plain = { name: `gr-plain-${run}`, key: `sk-gr-plain-${run}-key` };
const email = 'jane.doe@example.com';
const card = '4111 1111 1111 1111';

let sim: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  sim = await startTestSimulator({ logPrompts: true });
  gateway = await startGatewayProcess({
    config: {
      ...simGatewayConfig(sim.url, {
        server: { admin_key: adminKey },
        tenants: {
          [tenant.name]: { keys: [tenant.key], guardrails: ['pii'] },
          [plain.name]: { keys: [plain.key] },
        },
        models: {
          gpt: {
            guardrails: ['codenames'],
            deployments: [{ id: 'gpt', provider: 'openai', model: simModels.gpt }],
          },
          // Output guardrails only: the upstream gets the text as sent and repeats it.
          'gpt-out': {
            guardrails: ['pii-out', 'leaks'],
            deployments: [{ id: 'gpt-out', provider: 'openai', model: simModels.gpt }],
          },
          'claude-out': {
            guardrails: ['pii-out', 'leaks'],
            deployments: [{ id: 'claude-out', provider: 'anthropic', model: simModels.claudeDirect }],
          },
          claude: {
            guardrails: ['codenames'],
            deployments: [{ id: 'claude', provider: 'anthropic', model: simModels.claudeDirect }],
          },
          nova: {
            guardrails: ['codenames'],
            deployments: [{ id: 'nova', provider: 'a1-us-east-1', model: simModels.novaLite }],
          },
        },
      }),
      guardrails: {
        pii: { type: 'pii', entities: ['email', 'credit_card'], action: 'mask', on: ['input', 'output'] },
        codenames: { type: 'words', words: ['bluebird'], action: 'block', on: ['input'] },
        'pii-out': { type: 'pii', entities: ['email', 'credit_card'], action: 'mask', on: ['output'] },
        leaks: { type: 'regex', patterns: ['(?i)internal\\s+only'], action: 'block', on: ['output'] },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await gateway.stop();
  await sim.close();
});

const lastPrompt = (): string => sim.invocations().at(-1)?.inputText ?? '';

describe('guardrails through the gateway', () => {
  it('masks an email and a card number before the upstream sees them (openai, unary)', async () => {
    const openai: OpenAI = openaiClient(gateway.url, tenant.key);
    const before = sim.invocations().length;
    const answer = await openai.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: `Mail ${email} about card ${card}, please.` }],
    });
    expect(answer.choices[0]?.message.content).not.toBe('');
    expect(sim.invocations().length).toBe(before + 1);
    expect(lastPrompt()).toContain('Mail [EMAIL] about card [CREDIT_CARD], please.');
    expect(lastPrompt()).not.toContain('jane.doe');
  });

  it('masks PII in answers, complete and streamed (openai and anthropic)', async () => {
    const say = `repeat after me: Contact ${email} or pay with ${card} today.`;
    const masked = 'Contact [EMAIL] or pay with [CREDIT_CARD] today.';
    const openai = openaiClient(gateway.url, plain.key);
    const unary = await openai.chat.completions.create({
      model: 'gpt-out',
      messages: [{ role: 'user', content: say }],
    });
    expect(lastPrompt()).toContain(email); // no input guardrail here: the answer's PII is the upstream's
    expect(unary.choices[0]?.message.content).toBe(masked);
    let streamed = '';
    const stream = await openai.chat.completions.create({
      model: 'gpt-out',
      stream: true,
      messages: [{ role: 'user', content: say }],
    });
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(masked);

    const anthropic: Anthropic = anthropicClient(gateway.url, plain.key);
    const message = await anthropic.messages.create({
      model: 'claude-out',
      max_tokens: 200,
      messages: [{ role: 'user', content: say }],
    });
    expect(message.content[0]?.type === 'text' ? message.content[0].text : '').toBe(masked);
    let anthropicStreamed = '';
    const events = anthropic.messages.stream({
      model: 'claude-out',
      max_tokens: 200,
      messages: [{ role: 'user', content: say }],
    });
    events.on('text', (text) => (anthropicStreamed += text));
    await events.finalMessage();
    expect(anthropicStreamed).toBe(masked);
  });

  it('refuses a blocked word in each client dialect, naming the guardrail and not the word', async () => {
    const before = sim.invocations().length;
    const openai = openaiClient(gateway.url, tenant.key);
    const openaiError = await openai.chat.completions
      .create({ model: 'gpt', messages: [{ role: 'user', content: 'Tell me about Bluebird.' }] })
      .catch((error: unknown) => error);
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    expect((openaiError as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('content_policy');
    expect((openaiError as Error).message).toMatch(/guardrail ..?codenames/);
    expect((openaiError as Error).message.toLowerCase()).not.toContain('bluebird');

    const anthropic = anthropicClient(gateway.url, tenant.key);
    const anthropicError = await anthropic.messages
      .create({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'bluebird plans' }] })
      .catch((error: unknown) => error);
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect((anthropicError as Error).message).toMatch(/guardrail ..?codenames/);

    const bedrock = bedrockClient(gateway.url, tenant.key);
    const bedrockError = await bedrock
      .send(
        new ConverseCommand({
          modelId: 'nova',
          messages: [{ role: 'user', content: [{ text: 'the BLUEBIRD file' }] }],
        }),
      )
      .catch((error: unknown) => error);
    expect(bedrockError).toBeInstanceOf(ValidationException);
    expect((bedrockError as Error).message).toMatch(/guardrail ..?codenames/);
    expect(sim.invocations().length).toBe(before); // nothing went upstream
  });

  it('ends a stream with an in-band error when an output block matches mid-stream', async () => {
    const filler = 'Water flows over the spillway and the river keeps its course. '.repeat(12);
    const say = `repeat after me: ${filler}This part is internal only and stays here. ${filler}`;
    const openai = openaiClient(gateway.url, plain.key);
    let text = '';
    let finish: string | null | undefined;
    const failure = await (async () => {
      const stream = await openai.chat.completions.create({
        model: 'gpt-out',
        stream: true,
        messages: [{ role: 'user', content: say }],
      });
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish ??= chunk.choices[0]?.finish_reason;
      }
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as Error).message).toContain('"leaks"');
    expect(text.length).toBeGreaterThan(0); // text before the window was released...
    expect(text).not.toContain('internal'); // ...the match never was
    expect(finish ?? null).toBeNull(); // and no finish was faked
  });

  it('audits and counts every action (entity counts, never the text)', async () => {
    const metrics = await scrapeMetrics(gateway.url);
    const count = (guardrail: string, action: string, direction: string) =>
      metricValue(metrics, 'spillway_guardrail_actions_total', { guardrail, action, direction });
    expect(count('pii', 'mask', 'input')).toBeGreaterThanOrEqual(1);
    expect(count('pii-out', 'mask', 'output')).toBe(4);
    expect(count('codenames', 'block', 'input')).toBe(3);
    expect(count('leaks', 'block', 'output')).toBe(1);

    let audit: { action: string; details: Record<string, unknown> }[] = [];
    await waitFor(
      async () => {
        const response = await request(`${gateway.url}/admin/audit?limit=100`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        const body = (await response.body.json()) as { data: typeof audit };
        audit = body.data.filter((record) => record.action.startsWith('guardrail.'));
        return audit.length >= 9;
      },
      { what: 'the guardrail audit records' },
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'guardrail.mask',
        details: expect.objectContaining({
          guardrail: 'pii',
          direction: 'input',
          entities: { email: 1, credit_card: 1 },
        }),
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'guardrail.block',
        details: expect.objectContaining({
          guardrail: 'leaks',
          direction: 'output',
          entities: { pattern: 1 },
        }),
      }),
    );
    const summary = await request(`${gateway.url}/admin/dashboard/summary`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const { guardrails } = (await summary.body.json()) as { guardrails: unknown[] };
    expect(guardrails).toContainEqual({ guardrail: 'leaks', action: 'block', direction: 'output', count: 1 });

    const report = await runSpillway([
      'report',
      '--url',
      gateway.url,
      '--admin-key',
      adminKey,
      '--since',
      '1h',
    ]);
    expect(report.stdout).toMatch(/Guardrail actions[\s\S]*leaks\s+block\s+output\s+1\n/);

    const dump = JSON.stringify(audit);
    expect(dump).not.toContain('jane.doe');
    expect(dump).not.toContain('4111');
    expect(dump.toLowerCase()).not.toContain('bluebird');
  });
});

describe('guardrails on a virtual key', () => {
  const createKey = async (body: Record<string, unknown>) => {
    const response = await request(`${gateway.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.statusCode, body: (await response.body.json()) as Record<string, unknown> };
  };

  it('runs the key own guardrails for its requests only, and refuses a key naming an unknown one', async () => {
    const created = await createKey({ tenant: plain.name, name: 'masked', guardrails: ['pii'] });
    expect(created.status).toBe(201);
    expect(created.body['guardrails']).toEqual(['pii']);
    const say = `Mail ${email} today.`;
    // The tenant has no guardrails: its ordinary key's prompt reaches the upstream as written.
    await openaiClient(gateway.url, plain.key).chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: say }],
    });
    expect(lastPrompt()).toContain(email);
    await openaiClient(gateway.url, created.body['key'] as string).chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: say }],
    });
    expect(lastPrompt()).toContain('Mail [EMAIL] today.');

    const unknown = await createKey({ tenant: plain.name, guardrails: ['pii', 'nope'] });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('unknown guardrail \\"nope\\"');
  });
});
