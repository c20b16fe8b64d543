import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { anthropicMessagesBody, mutatedBodyText, openaiChatBody } from './support/chat-body-arbitraries.ts';
import { expectAnthropicError, expectOpenaiError } from './support/dialect-bodies.ts';
import { openaiResponsesBody } from './support/responses-body-arbitraries.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 12 item 11: a bounded fuzz run against a real `spillway serve` process in front of the
// simulator (OpenAI, Bedrock and Anthropic upstreams). Valid OpenAI and Anthropic bodies, mutated
// (fields dropped, retyped, duplicated, nested thousands of levels deep, text cut short), with a
// fixed seed: the same few hundred requests on every run. No answer may be a 500, every error is in
// the client's dialect, and the process still answers /health/live at the end.

const seed = 20261206;
const requestsPerDialect = 150;
const teamKey = 'sk-team-key-fuzz-0001';
let sim: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 11 });
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      models: {
        gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt),
        claude: singleDeploymentGroup('claude', 'a1-us-east-1', simModels.sonnetUsProfile),
        direct: singleDeploymentGroup('direct', 'anthropic', simModels.claudeDirect),
      },
      tenants: { team: { keys: [teamKey] } },
    }),
  });
});
afterAll(async () => {
  expect((await gateway.stop()).code).toBe(0);
  await sim.close();
});

/** Fuzz texts: bodies as generated (mostly valid) or mutated, one in eight of them cut short. */
function fuzzTexts(bodies: fc.Arbitrary<unknown>, runSeed: number): string[] {
  const texts = fc
    .tuple(mutatedBodyText(bodies), fc.nat(), fc.nat(7))
    .map(([text, cut, chance]) => (chance === 0 ? text.slice(0, cut % (text.length + 1)) : text));
  return fc.sample(texts, { seed: runSeed, numRuns: requestsPerDialect });
}

interface Answer {
  readonly text: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

async function sendAll(
  path: string,
  texts: readonly string[],
  headers: Record<string, string>,
): Promise<Answer[]> {
  const agent = new Agent({ connections: 4 });
  const answers: Answer[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < texts.length) {
      const text = texts[next] ?? '';
      next += 1;
      const response = await request(`${gateway.url}${path}`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${teamKey}`, ...headers },
        body: text,
      });
      answers.push({
        text,
        status: response.statusCode,
        contentType: String(response.headers['content-type'] ?? ''),
        body: await response.body.text(),
      });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await agent.close();
  return answers;
}

/** What went wrong with one answer, or undefined when it is acceptable. */
function problemOf(answer: Answer, dialect: 'openai' | 'anthropic' | 'openai-responses'): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}`;
  if (answer.status === 200) return undefined;
  if (!answer.contentType.startsWith('application/json')) return `error content-type ${answer.contentType}`;
  try {
    const body: unknown = JSON.parse(answer.body);
    if (dialect === 'anthropic') expectAnthropicError(body);
    else expectOpenaiError(body);
  } catch (error) {
    return `error body not in the ${dialect} shape: ${(error as Error).message.slice(0, 200)}`;
  }
  return undefined;
}

describe('a bounded fuzz run against a gateway process', () => {
  const dialects = [
    { dialect: 'openai', path: '/v1/chat/completions', bodies: openaiChatBody, headers: {} },
    {
      dialect: 'anthropic',
      path: '/v1/messages',
      bodies: anthropicMessagesBody,
      headers: { 'anthropic-version': '2023-06-01' },
    },
    { dialect: 'openai-responses', path: '/v1/responses', bodies: openaiResponsesBody, headers: {} },
  ] as const;

  it.each(dialects)(
    '$dialect: no 500, every error in the dialect, some requests served',
    async ({ dialect, path, bodies, headers }) => {
      const answers = await sendAll(path, fuzzTexts(bodies, seed), headers);
      const problems = answers
        .map((answer) => ({ problem: problemOf(answer, dialect), answer }))
        .filter((entry) => entry.problem !== undefined)
        .map(
          ({ problem, answer }) =>
            `${problem ?? ''} for ${answer.text.slice(0, 300)} → ${answer.body.slice(0, 300)}`,
        );
      expect(problems).toEqual([]);
      // The run must reach the providers, not only the validation errors.
      expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThan(
        requestsPerDialect / 10,
      );
      const live = await request(`${gateway.url}/health/live`);
      await live.body.dump();
      expect(live.statusCode).toBe(200);
    },
  );
});
