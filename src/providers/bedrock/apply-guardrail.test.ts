import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/start-simulator.ts';
import { BedrockGuardrailClient } from './apply-guardrail.ts';

const account1 = { access_key_id: 'AKIASIMACCOUNT1EXAMPLE', secret_access_key: 'sim-secret-account-1' };

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, seed: 3, latencyScale: 0 });
});
afterAll(async () => {
  await sim.close();
});

function client(version = '1', credentials = account1): BedrockGuardrailClient {
  return new BedrockGuardrailClient({
    provider: { region: 'us-east-1', endpoint: sim.url, credentials },
    guardrailId: 'gr-sim-policy',
    guardrailVersion: version,
  });
}

const signal = new AbortController().signal;

describe('BedrockGuardrailClient (ApplyGuardrail, SigV4, against the simulator)', () => {
  it('maps a denied topic to a block, naming the topic', async () => {
    const guardrail = client();
    const verdict = await guardrail.apply('INPUT', ['I want investment advice, please.'], signal);
    expect(verdict.blocked).toBe(true);
    expect(verdict.findings).toEqual([{ entity: 'topic:investment-advice', action: 'blocked' }]);
    expect(sim.invocations().at(-1)).toMatchObject({ operation: 'ApplyGuardrail', region: 'us-east-1' });
    await guardrail.close();
  });

  it('maps ANONYMIZED PII to masked texts, and clean text to a pass', async () => {
    const guardrail = client();
    const masked = await guardrail.apply('OUTPUT', ['write to jo@example.org', 'nothing here'], signal);
    expect(masked.blocked).toBe(false);
    expect(masked.texts).toEqual(['write to {EMAIL}', 'nothing here']);
    expect(masked.findings).toEqual([{ entity: 'pii:EMAIL', action: 'masked' }]);
    const clean = await guardrail.apply('INPUT', ['Hello'], signal);
    expect(clean).toEqual({ blocked: false, texts: ['Hello'], findings: [] });
    await guardrail.close();
  });

  it('rejects with a classified error for an unknown version or bad credentials', async () => {
    const unknown = client('9');
    await expect(unknown.apply('INPUT', ['Hello'], signal)).rejects.toMatchObject({
      code: 'upstream_not_found',
    });
    const wrong = client('1', { ...account1, secret_access_key: 'not-the-secret' });
    await expect(wrong.apply('INPUT', ['Hello'], signal)).rejects.toMatchObject({
      code: 'upstream_auth_failed',
    });
    await unknown.close();
    await wrong.close();
  });
});
