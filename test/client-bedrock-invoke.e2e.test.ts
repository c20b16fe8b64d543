import {
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ask, profileId, useBedrockIngress } from './support/bedrock-ingress.ts';

// Issue 14 acceptance (Bedrock-compatible ingress, InvokeModel and CountTokens): the AWS JS SDK's
// InvokeModel and InvokeModelWithResponseStream with Anthropic-native bodies, CountTokens, and
// boto3 with nothing but endpoint_url and a bearer key, through a real gateway process.

const { world, key, client } = useBedrockIngress();

/** An Anthropic-native InvokeModel body, as Anthropic-on-Bedrock takes it. */
function invokeBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'Say hello' }],
    ...extra,
  });
}

interface AnthropicEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

describe.each([
  { group: profileId, deployment: 'sonnet-us', upstream: 'bedrock' },
  { group: 'gpt', deployment: 'gpt', upstream: 'openai' },
])(
  'AWS SDK InvokeModel (Anthropic body) → gateway → $upstream-style upstream',
  ({ group, deployment, upstream }) => {
    it('InvokeModel answers with an Anthropic message carrying the upstream usage', async () => {
      const { bedrock, headers } = client();
      const output = await bedrock.send(
        new InvokeModelCommand({ modelId: group, body: invokeBody(), contentType: 'application/json' }),
      );
      const message = JSON.parse(Buffer.from(output.body).toString('utf8')) as {
        type: string;
        role: string;
        content: { type: string; text?: string }[];
        stop_reason: string;
        usage: { input_tokens: number; output_tokens: number };
      };
      expect(message.type).toBe('message');
      expect(message.role).toBe('assistant');
      expect(message.content[0]?.text).toMatch(/\w/);
      expect(message.stop_reason).toBe('end_turn');
      const upstreamCall = world.lastInvocation();
      expect(upstreamCall.api).toBe(upstream);
      expect(message.usage).toMatchObject({
        input_tokens: upstreamCall.inputTokens,
        output_tokens: upstreamCall.outputTokens,
      });
      expect(headers.at(-1)?.['x-spillway-deployment']).toBe(deployment);
    });

    it('InvokeModelWithResponseStream streams chunk frames of Anthropic events, metrics on the last', async () => {
      const { bedrock, headers } = client();
      const output = await bedrock.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: group,
          body: invokeBody(),
          contentType: 'application/json',
        }),
      );
      const events: AnthropicEvent[] = [];
      for await (const event of output.body ?? []) {
        if (event.chunk?.bytes !== undefined)
          events.push(JSON.parse(Buffer.from(event.chunk.bytes).toString('utf8')) as AnthropicEvent);
      }
      expect(headers.at(-1)?.['content-type']).toBe('application/vnd.amazon.eventstream');
      expect(events[0]?.type).toBe('message_start');
      expect(events.at(-1)?.type).toBe('message_stop');
      const text = events
        .map((event) =>
          event.type === 'content_block_delta' ? ((event.delta as { text?: string }).text ?? '') : '',
        )
        .join('');
      expect(text).toMatch(/\w/);
      const upstreamCall = world.lastInvocation();
      expect(upstreamCall.stream).toBe(true);
      expect(events.at(-1)?.['amazon-bedrock-invocationMetrics']).toEqual({
        inputTokenCount: upstreamCall.inputTokens,
        outputTokenCount: upstreamCall.outputTokens,
      });
    });

    it('round-trips a tool call with Anthropic tool_use and tool_result blocks', async () => {
      const { bedrock } = client();
      const tools = [
        {
          name: 'get_weather',
          description: 'Current weather in a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ];
      const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const first = await bedrock.send(
        new InvokeModelCommand({ modelId: group, body: invokeBody({ tools, messages: ask }) }),
      );
      const message = JSON.parse(Buffer.from(first.body).toString('utf8')) as {
        stop_reason: string;
        content: { type: string; id?: string; name?: string; input?: unknown }[];
      };
      expect(message.stop_reason).toBe('tool_use');
      const call = message.content.find((block) => block.type === 'tool_use');
      expect(call?.name).toBe('get_weather');
      const second = await bedrock.send(
        new InvokeModelCommand({
          modelId: group,
          body: invokeBody({
            tools,
            messages: [
              ...ask,
              { role: 'assistant', content: [call] },
              {
                role: 'user',
                content: [{ type: 'tool_result', tool_use_id: call?.id, content: 'sunny, 21 C' }],
              },
            ],
          }),
        }),
      );
      const answer = JSON.parse(Buffer.from(second.body).toString('utf8')) as { stop_reason: string };
      expect(answer.stop_reason).toBe('end_turn');
    });
  },
);

describe('AWS SDK CountTokens → gateway', () => {
  it.each([
    { group: profileId, source: 'upstream' },
    { group: 'gpt', source: 'estimate' },
  ])(
    'counts a Converse input for $group ($source), and an InvokeModel body the same',
    async ({ group, source }) => {
      const { bedrock, headers } = client();
      const converse = await bedrock.send(
        new CountTokensCommand({
          modelId: group,
          input: { converse: { messages: ask, system: [{ text: 'Be brief.' }] } },
        }),
      );
      expect(converse.inputTokens).toBeGreaterThan(0);
      expect(headers.at(-1)?.['x-spillway-token-count']).toBe(source);
      const body = new TextEncoder().encode(
        JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 10,
          system: 'Be brief.',
          messages: [{ role: 'user', content: 'Say hello' }],
        }),
      );
      const invoked = await bedrock.send(
        new CountTokensCommand({ modelId: group, input: { invokeModel: { body } } }),
      );
      expect(invoked.inputTokens).toBe(converse.inputTokens);
    },
  );

  it('names the field at fault inside the nested body', async () => {
    const { bedrock } = client();
    const thrown = await bedrock
      .send(
        new CountTokensCommand({
          modelId: 'gpt',
          input: {
            converse: {
              messages: [
                {
                  role: 'user',
                  content: [{ document: { name: 'd', format: 'txt', source: { bytes: new Uint8Array(1) } } }],
                },
              ],
            },
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ValidationException);
    expect((thrown as Error).message).toMatch(
      /^input\.converse\.messages\[0\]\.content\[0\]\.document: not supported/,
    );
  });
});

/** Whether python3 with boto3 is installed here (the boto3 test is skipped where it is not). */
const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;

// boto3 with nothing but endpoint_url and the key in AWS_BEARER_TOKEN_BEDROCK (its default HTTP/1.1).
const boto3Script = `
import json, os, boto3
client = boto3.client('bedrock-runtime', region_name='us-east-1', endpoint_url=os.environ['GATEWAY'])
out = client.converse(modelId='nova', messages=[{'role': 'user', 'content': [{'text': 'Say hello'}]}])
stream = client.converse_stream(modelId='gpt', messages=[{'role': 'user', 'content': [{'text': 'Say hello'}]}])
events = [list(event.keys())[0] for event in stream['stream']]
try:
    client.converse(modelId='no-such-group', messages=[{'role': 'user', 'content': [{'text': 'x'}]}])
    missing = None
except client.exceptions.ResourceNotFoundException as error:
    missing = error.response['Error']['Code']
print(json.dumps({'stop': out['stopReason'], 'text': out['output']['message']['content'][0]['text'],
                  'events': events, 'missing': missing}))
`;

describe('boto3 → gateway', () => {
  it.skipIf(!hasBoto3)(
    'converse and converse_stream work with endpoint_url and AWS_BEARER_TOKEN_BEDROCK',
    async () => {
      // Asynchronously: the simulator behind the gateway runs in this process.
      const { stdout: output } = await promisify(execFile)('python3', ['-c', boto3Script], {
        env: { PATH: process.env.PATH ?? '', GATEWAY: world.gateway.url, AWS_BEARER_TOKEN_BEDROCK: key },
        encoding: 'utf8',
        timeout: 60_000,
      });
      const read = JSON.parse(output) as {
        stop: string;
        text: string;
        events: string[];
        missing: string | null;
      };
      expect(read.stop).toBe('end_turn');
      expect(read.text).toMatch(/\w/);
      expect(read.events[0]).toBe('messageStart');
      expect(read.events).toContain('contentBlockDelta');
      expect(read.events.slice(-2)).toEqual(['messageStop', 'metadata']);
      expect(read.missing).toBe('ResourceNotFoundException');
    },
  );
});
