import { describe, expect, it } from 'vitest';
import { simAccounts, simModels } from './support/gateway-config.ts';
import { useSimulatedGateway } from './support/simulated-gateway.ts';

// Stream recovery against the provider simulator (issue 15): a stream cut after a few events by
// the simulator's cut_stream fault is continued by another deployment of the same model, which
// takes the delivered text as an assistant prefill (Bedrock Converse, Anthropic Messages) and
// answers the rest. The client's text equals the answer the simulated model gives unbroken.

const world = useSimulatedGateway({
  gateway: {
    models: {
      'sonnet-bedrock': {
        strategy: 'ordered',
        stream_recovery: 'continue',
        deployments: [
          { id: 'sonnet-a1', provider: 'a1-us-east-1', model: simModels.sonnetUsProfile },
          { id: 'sonnet-a2', provider: 'a2-us-east-1', model: simModels.sonnetUsProfile },
        ],
      },
      'claude-direct': {
        strategy: 'ordered',
        stream_recovery: 'continue',
        deployments: [
          { id: 'claude-first', provider: 'anthropic', model: simModels.claudeDirect },
          { id: 'claude-second', provider: 'anthropic', model: simModels.claudeDirect },
        ],
      },
    },
  },
});

async function bedrockAnswer(): Promise<string> {
  const stream = await world.openai.chat.completions.create({
    model: 'sonnet-bedrock',
    stream: true,
    messages: [{ role: 'user', content: 'Tell me about rivers.' }],
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

async function anthropicAnswer(): Promise<string> {
  const message = await world.anthropic.messages
    .stream({
      model: 'claude-direct',
      max_tokens: 400,
      messages: [{ role: 'user', content: 'Tell me about rivers.' }],
    })
    .finalMessage();
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

describe('stream recovery against the simulator', () => {
  it('Bedrock: a stream cut after 4 events is continued by the other account with a prefill', async () => {
    const whole = await bedrockAnswer();
    world.sim.addFault({ kind: 'cut_stream', account: simAccounts[1].id, after_events: 4, count: 1 });
    const recovered = await bedrockAnswer();
    expect(recovered).toBe(whole);
    const calls = world.sim.invocations().slice(-2);
    expect(calls.map((call) => call.accountId)).toEqual([simAccounts[1].id, simAccounts[2].id]);
    expect(calls[0]?.faultId).toBeDefined();
  });

  it('Anthropic: a stream cut after 5 events is continued by the next deployment with a prefill', async () => {
    const whole = await anthropicAnswer();
    world.sim.addFault({ kind: 'cut_stream', api: 'anthropic', after_events: 5, count: 1 });
    const recovered = await anthropicAnswer();
    expect(recovered).toBe(whole);
    const calls = world.sim.invocations().slice(-2);
    expect(calls.map((call) => call.faultId === undefined)).toEqual([false, true]);
  });
});
