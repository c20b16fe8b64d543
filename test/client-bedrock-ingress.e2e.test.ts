import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type ContentBlock,
  type ConverseStreamOutput,
  type Message,
  ResourceNotFoundException,
  ThrottlingException,
  type Tool,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { bedrockClient } from '../src/dialects/bedrock-converse/__fixtures__/bedrock-sdk.ts';
import { simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { useSimulatedGateway } from './support/simulated-gateway.ts';

// Issue 14 acceptance (Bedrock-compatible ingress): the AWS JS SDK, with a virtual key as its
// Bedrock API key (bearer token), against a real gateway process with the simulator behind it,
// served by a Bedrock deployment and by an OpenAI-style one.

const run = Date.now().toString(36);
const key = `sk-bedrock-in-${run}`;
const throttledKey = `sk-bedrock-throttled-${run}`;
/** The throttled tenant's rpm: GCRA admits a burst of this many, then one every 60 s / rpm. */
const throttledRpm = 12;
const profileId = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

const world = useSimulatedGateway({
  simulator: { seed: 14 },
  gateway: {
    models: {
      nova: singleDeploymentGroup('nova', 'a1-us-east-1', simModels.novaPro),
      gpt: singleDeploymentGroup('gpt', 'openai', simModels.gpt),
      [profileId]: singleDeploymentGroup('sonnet-us', 'a1-us-east-1', simModels.sonnetUsProfile),
    },
    tenants: {
      builders: { keys: [key], rpm: 1000 },
      throttled: { keys: [throttledKey], rpm: throttledRpm },
    },
  },
});

/** A client whose responses' headers are kept (the SDK's output has no headers of its own). */
function client(
  apiKey = key,
  maxAttempts = 1,
): { bedrock: BedrockRuntimeClient; headers: Record<string, string>[] } {
  const bedrock = bedrockClient(world.gateway.url, apiKey, maxAttempts);
  const headers: Record<string, string>[] = [];
  bedrock.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { headers?: Record<string, string> };
      headers.push(response.headers ?? {});
      return result;
    },
    { step: 'deserialize', name: 'keepHeaders' },
  );
  return { bedrock, headers };
}

const weatherTool: Tool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather in a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
};

const ask: Message[] = [{ role: 'user', content: [{ text: 'Say hello' }] }];

/** Every event of a ConverseStream answer, read to its end. */
async function collect(
  stream: AsyncIterable<ConverseStreamOutput> | undefined,
): Promise<ConverseStreamOutput[]> {
  if (stream === undefined) throw new Error('the answer has no stream');
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** The tool call of a complete answer. */
function toolUseOf(output: ConverseCommandOutput): NonNullable<ContentBlock['toolUse']> {
  const block = output.output?.message?.content?.find((entry) => entry.toolUse !== undefined);
  expect(block?.toolUse, 'a toolUse block').toBeDefined();
  return block?.toolUse as NonNullable<ContentBlock['toolUse']>;
}

describe.each([
  { group: 'nova', upstream: 'bedrock' },
  { group: 'gpt', upstream: 'openai' },
])('AWS SDK → gateway (Bedrock Converse) → $upstream-style upstream', ({ group, upstream }) => {
  it('ConverseCommand answers with text, stop reason and the upstream usage; route headers set', async () => {
    const { bedrock, headers } = client();
    const output = await bedrock.send(
      new ConverseCommand({ modelId: group, messages: ask, inferenceConfig: { maxTokens: 100 } }),
    );
    expect(output.stopReason).toBe('end_turn');
    expect(output.output?.message?.role).toBe('assistant');
    expect(output.output?.message?.content?.[0]?.text).toMatch(/\w/);
    const upstreamCall = world.lastInvocation();
    expect(upstreamCall.api).toBe(upstream);
    expect(output.usage).toMatchObject({
      inputTokens: upstreamCall.inputTokens,
      outputTokens: upstreamCall.outputTokens,
      totalTokens: upstreamCall.inputTokens + upstreamCall.outputTokens,
    });
    expect(output.$metadata.httpStatusCode).toBe(200);
    const sent = headers.at(-1) ?? {};
    expect(output.$metadata.requestId).toBe(sent['x-request-id']);
    expect(sent['x-spillway-deployment']).toBe(group);
    expect(sent['x-spillway-model-group']).toBe(group);
    expect(sent['x-spillway-attempts']).toBe('1');
  });

  it('ConverseStreamCommand streams event-stream frames the SDK decodes: text, stop, usage', async () => {
    const { bedrock, headers } = client();
    const output = await bedrock.send(
      new ConverseStreamCommand({ modelId: group, messages: ask, inferenceConfig: { maxTokens: 100 } }),
    );
    const events = await collect(output.stream);
    expect(headers.at(-1)?.['content-type']).toBe('application/vnd.amazon.eventstream');
    expect(headers.at(-1)?.['x-spillway-deployment']).toBe(group);
    expect(events[0]?.messageStart?.role).toBe('assistant');
    const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toMatch(/\w/);
    const stops = events.flatMap((event) => (event.messageStop === undefined ? [] : [event.messageStop]));
    expect(stops.map((stop) => stop.stopReason)).toEqual(['end_turn']);
    const upstreamCall = world.lastInvocation();
    expect(upstreamCall.stream).toBe(true);
    expect(events.at(-1)?.metadata?.usage).toMatchObject({
      inputTokens: upstreamCall.inputTokens,
      outputTokens: upstreamCall.outputTokens,
    });
  });

  it.each([false, true])(
    'round-trips a tool call through toolUse and toolResult (stream: %s)',
    async (stream) => {
      const { bedrock } = client();
      const messages: Message[] = [{ role: 'user', content: [{ text: 'What is the weather in Paris?' }] }];
      const request = {
        modelId: group,
        messages,
        toolConfig: { tools: [weatherTool] },
        inferenceConfig: { maxTokens: 200 },
      };
      let call: { toolUseId: string; name: string; input: unknown };
      if (stream) {
        const events = await collect((await bedrock.send(new ConverseStreamCommand(request))).stream);
        const start = events.find((event) => event.contentBlockStart?.start?.toolUse !== undefined);
        const index = start?.contentBlockStart?.contentBlockIndex;
        const input = events
          .filter((event) => event.contentBlockDelta?.contentBlockIndex === index)
          .map((event) => event.contentBlockDelta?.delta?.toolUse?.input ?? '')
          .join('');
        expect(events.find((event) => event.messageStop)?.messageStop?.stopReason).toBe('tool_use');
        call = {
          toolUseId: start?.contentBlockStart?.start?.toolUse?.toolUseId ?? '',
          name: start?.contentBlockStart?.start?.toolUse?.name ?? '',
          input: JSON.parse(input) as unknown,
        };
      } else {
        const output = await bedrock.send(new ConverseCommand(request));
        expect(output.stopReason).toBe('tool_use');
        const toolUse = toolUseOf(output);
        call = { toolUseId: toolUse.toolUseId ?? '', name: toolUse.name ?? '', input: toolUse.input };
      }
      expect(call.toolUseId).not.toBe('');
      expect(call.name).toBe('get_weather');
      expect(call.input).toMatchObject({ city: expect.any(String) });

      const answer = await bedrock.send(
        new ConverseCommand({
          ...request,
          messages: [
            ...messages,
            {
              role: 'assistant',
              content: [
                { toolUse: { toolUseId: call.toolUseId, name: call.name, input: call.input as never } },
              ],
            },
            {
              role: 'user',
              content: [{ toolResult: { toolUseId: call.toolUseId, content: [{ text: 'sunny, 21 C' }] } }],
            },
          ],
        }),
      );
      expect(answer.stopReason).toBe('end_turn');
      expect(answer.output?.message?.content?.[0]?.text).toMatch(/\w/);
      // Tools are still offered: the simulated model answers in text only when the last turn reached
      // it as a tool result (otherwise it calls the tool again).
      expect(answer.output?.message?.content?.some((block) => block.toolUse !== undefined)).toBe(false);
    },
  );
});

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

describe('AWS SDK Converse features → gateway → Bedrock Claude profile', () => {
  it('asks for thinking through additionalModelRequestFields and reads reasoningContent back, streamed and not', async () => {
    const { bedrock } = client();
    const request = {
      modelId: profileId,
      messages: ask,
      inferenceConfig: { maxTokens: 2000 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    };
    const output = await bedrock.send(new ConverseCommand(request));
    const reasoning = output.output?.message?.content?.[0]?.reasoningContent?.reasoningText;
    expect(reasoning?.text).toMatch(/\w/);
    expect(reasoning?.signature).toMatch(/\w/);
    expect(output.output?.message?.content?.[1]?.text).toMatch(/\w/);

    const events = await collect((await bedrock.send(new ConverseStreamCommand(request))).stream);
    const thought = events
      .map((event) => event.contentBlockDelta?.delta?.reasoningContent?.text ?? '')
      .join('');
    expect(thought).toMatch(/\w/);
    expect(
      events.some((event) => event.contentBlockDelta?.delta?.reasoningContent?.signature !== undefined),
    ).toBe(true);
  });

  it('a cachePoint after a long system prompt is a cache write, then a cache read on the repeat', async () => {
    const { bedrock } = client();
    const system = [
      { text: `You are terse. ${'Background fact number one. '.repeat(300)}` },
      { cachePoint: { type: 'default' as const } },
    ];
    const first = await bedrock.send(new ConverseCommand({ modelId: profileId, system, messages: ask }));
    expect(first.usage?.cacheWriteInputTokens).toBeGreaterThan(0);
    const second = await bedrock.send(new ConverseCommand({ modelId: profileId, system, messages: ask }));
    expect(second.usage?.cacheReadInputTokens).toBe(first.usage?.cacheWriteInputTokens);
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

describe('AWS SDK → gateway: model ids, keys and limits', () => {
  it('an inference profile id, and its ARN, name the group (served by a Bedrock profile)', async () => {
    const { bedrock, headers } = client();
    const arn = `arn:aws:bedrock:us-east-1:111111111111:inference-profile/${profileId}`;
    for (const modelId of [profileId, arn]) {
      const output = await bedrock.send(new ConverseCommand({ modelId, messages: ask }));
      expect(output.stopReason).toBe('end_turn');
      expect(headers.at(-1)?.['x-spillway-model-group']).toBe(profileId);
      expect(headers.at(-1)?.['x-spillway-deployment']).toBe('sonnet-us');
    }
  });

  it('an unknown model is a ResourceNotFoundException; a field the gateway cannot carry a ValidationException naming it', async () => {
    const { bedrock } = client();
    const unknown = await bedrock
      .send(new ConverseCommand({ modelId: 'no-such-group', messages: ask }))
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    const refused = await bedrock
      .send(
        new ConverseCommand({
          modelId: 'nova',
          messages: ask,
          additionalModelRequestFields: { top_k: 20 },
        }),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationException);
    expect((refused as Error).message).toMatch(/^additionalModelRequestFields\.top_k: not supported/);
  });

  it('a bad key is the AccessDeniedException the SDK maps, never retried', async () => {
    const { bedrock } = client(`sk-not-a-key-${run}`, 3);
    const thrown = await bedrock
      .send(new ConverseCommand({ modelId: 'nova', messages: ask }))
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AccessDeniedException);
    expect((thrown as AccessDeniedException).$metadata.attempts).toBe(1);
    const streamed = await bedrock
      .send(new ConverseStreamCommand({ modelId: 'nova', messages: ask }))
      .catch((e: unknown) => e);
    expect(streamed).toBeInstanceOf(AccessDeniedException);
    const invoked = await bedrock
      .send(new InvokeModelCommand({ modelId: 'nova', body: invokeBody() }))
      .catch((e: unknown) => e);
    expect(invoked).toBeInstanceOf(AccessDeniedException);
  });

  it('a SigV4-signed request is refused with an AccessDeniedException saying to send a bearer key', async () => {
    const signed = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: world.gateway.url,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });
    const thrown = await signed
      .send(new ConverseCommand({ modelId: 'nova', messages: ask }))
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AccessDeniedException);
    expect((thrown as Error).message).toMatch(/SigV4 signatures are not accepted.*Bearer/);
  });

  it("a tenant over its rpm gets ThrottlingException, and the SDK's retry waits for the gateway's retry headers", async () => {
    // The burst: rpm requests at once (GCRA admits them all), then the limit holds for 60 s / rpm.
    const burst = await Promise.all(
      Array.from({ length: throttledRpm }, () =>
        fetch(`${world.gateway.url}/model/nova/converse`, {
          method: 'POST',
          headers: { authorization: `Bearer ${throttledKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ messages: ask }),
        }).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        }),
      ),
    );
    expect(burst).toEqual(Array.from({ length: throttledRpm }, () => 200));

    const once = client(throttledKey, 1);
    const thrown = await once.bedrock
      .send(new ConverseCommand({ modelId: 'nova', messages: ask }))
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(ThrottlingException);
    const refusedHeaders = once.headers.at(-1) ?? {};
    expect(Number(refusedHeaders['x-amz-retry-after'])).toBeGreaterThan(0);
    expect(Number(refusedHeaders['x-amz-retry-after'])).toBeLessThanOrEqual(60_000 / throttledRpm);
    expect(refusedHeaders['retry-after']).toMatch(/^\d+$/);

    // With its default retries, the SDK waits what x-amz-retry-after says and the retry is admitted.
    const retrying = client(throttledKey, 3);
    const output = await retrying.bedrock.send(new ConverseCommand({ modelId: 'nova', messages: ask }));
    expect(output.stopReason).toBe('end_turn');
    expect(output.$metadata.attempts).toBe(2);
    expect(retrying.headers.map((sent) => sent['x-amzn-errortype'] ?? 'ok')).toEqual([
      'ThrottlingException',
      'ok',
    ]);
  });
});
