import { createOpenAI } from '@ai-sdk/openai';
import { generateText } from 'ai';
import { describe, expect, it } from 'vitest';
import { simModels } from './support/gateway-config.ts';
import { useSimulatedGateway } from './support/simulated-gateway.ts';

// Issue 13: prompt caching through the OpenAI Responses API. A `prompt_cache_breakpoint` on an input
// part is the canonical cache breakpoint (Anthropic cache_control, Bedrock cachePoint; OpenAI-style
// upstreams cache repeated prefixes by themselves): the second call with the same long prefix reads
// the cache, shown in usage.input_tokens_details and priced at the cached rate.

/** USD per million tokens, with cache prices, so cache reads and writes show in the cost header. */
const price = { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 };

const world = useSimulatedGateway({
  simulator: { seed: 1314 },
  gateway: {
    models: {
      gpt: { deployments: [{ id: 'gpt', provider: 'openai', model: simModels.gpt, price }] },
      claude: {
        deployments: [{ id: 'claude', provider: 'anthropic', model: simModels.claudeDirect, price }],
      },
      sonnet: {
        deployments: [{ id: 'sonnet', provider: 'a1-us-east-1', model: simModels.sonnetUsProfile, price }],
      },
    },
  },
});

/** A system prompt past the 1024-token minimum the providers cache. */
const longRules = 'You answer questions about rivers, briefly and precisely. '.repeat(90);

describe.each([
  { group: 'claude', upstream: 'anthropic' },
  { group: 'sonnet', upstream: 'bedrock' },
  { group: 'gpt', upstream: 'openai' },
])('Responses prompt caching → gateway → $upstream-style upstream', ({ group, upstream }) => {
  it('openai SDK: a breakpoint after the system prompt, a cache read on the second call, priced', async () => {
    const ask = (question: string) =>
      world.openai.responses
        .create({
          model: group,
          max_output_tokens: 200,
          input: [
            {
              role: 'developer',
              content: [
                { type: 'input_text', text: longRules, prompt_cache_breakpoint: { mode: 'explicit' } },
              ],
            },
            { role: 'user', content: question },
          ],
        })
        .withResponse();
    const first = await ask(`Which river is longest? (${upstream})`);
    const second = await ask(`And which is widest? (${upstream})`);
    const usage = second.data.usage;
    expect(usage?.input_tokens_details.cached_tokens).toBeGreaterThan(1024);
    if (upstream !== 'openai') {
      // OpenAI caches by itself and reports no writes.
      expect(first.data.usage?.input_tokens_details.cache_write_tokens).toBeGreaterThan(1024);
      expect(usage?.input_tokens_details.cached_tokens).toBe(
        first.data.usage?.input_tokens_details.cache_write_tokens,
      );
    }
    const cached = usage?.input_tokens_details.cached_tokens ?? 0;
    const written = usage?.input_tokens_details.cache_write_tokens ?? 0;
    const uncached = (usage?.input_tokens ?? 0) - cached - written;
    const expected =
      (uncached * price.input +
        (usage?.output_tokens ?? 0) * price.output +
        cached * price.cached_input +
        written * price.cache_write) /
      1_000_000;
    expect(Number(second.response.headers.get('x-spillway-cost-usd'))).toBeCloseTo(expected, 8);
  });
});

// Upstreams with explicit breakpoints (OpenAI-style ones cache repeated prefixes by themselves, which
// the test above shows through the system prompt).
describe.each([
  { group: 'claude', upstream: 'anthropic' },
  { group: 'sonnet', upstream: 'bedrock' },
])('Responses prompt caching from the AI SDK → gateway → $upstream-style upstream', ({ group, upstream }) => {
  it('AI SDK openai(group): providerOptions.openai.promptCacheBreakpoint on a message part', async () => {
    const openai = createOpenAI({ baseURL: `${world.gateway.url}/v1`, apiKey: 'sk-anonymous' });
    const ask = (question: string) =>
      generateText({
        model: openai(group),
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'text',
                text: longRules,
                providerOptions: { openai: { promptCacheBreakpoint: { mode: 'explicit' } } },
              },
              { type: 'text', text: question },
            ],
          },
        ],
        maxRetries: 0,
      });
    await ask(`Which river is deepest? (${upstream}, AI SDK)`);
    const second = await ask(`And which is oldest? (${upstream}, AI SDK)`);
    expect(second.usage.inputTokenDetails.cacheReadTokens).toBeGreaterThan(1024);
  });
});
