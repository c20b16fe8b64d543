import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';

const account1 = { accessKeyId: 'AKIASIMACCOUNT1EXAMPLE', secretAccessKey: 'sim-secret-account-1' };
const sonnetUs = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const user = (text: string) => [{ role: 'user' as const, content: [{ text }] }];

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 7, latencyScale: 0 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
});

function client(
  options: { http1?: boolean; region?: string; credentials?: typeof account1 } = {},
): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: options.region ?? 'us-east-1',
    endpoint: sim.url,
    credentials: options.credentials ?? account1,
    maxAttempts: 1,
    ...(options.http1 === true ? { requestHandler: new NodeHttpHandler() } : {}),
  });
}

async function collect(
  stream: AsyncIterable<ConverseStreamOutput> | undefined,
): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const event of stream ?? []) events.push(event);
  return events;
}

describe.each([
  ['HTTP/2 (SDK default)', false],
  ['HTTP/1.1', true],
])('Bedrock Converse over %s', (_name, http1) => {
  it('answers Converse with text and usage, served in a region of the profile', async () => {
    const bedrock = client({ http1 });
    const response = await bedrock.send(
      new ConverseCommand({
        modelId: sonnetUs,
        messages: user('Hello there'),
        system: [{ text: 'Be brief.' }],
      }),
    );
    expect(response.stopReason).toBe('end_turn');
    expect(response.output?.message?.content?.[0]?.text).toMatch(/\w+/);
    expect(response.usage?.inputTokens).toBeGreaterThan(0);
    expect(response.usage?.totalTokens).toBe(
      (response.usage?.inputTokens ?? 0) + (response.usage?.outputTokens ?? 0),
    );
    const [record] = sim.invocations();
    expect(record?.accountId).toBe('111111111111');
    expect(record?.region).toBe('us-east-1');
    expect(['us-east-1', 'us-east-2', 'us-west-2']).toContain(record?.inferenceRegion);
    expect(record?.operation).toBe('Converse');
    bedrock.destroy();
  });

  it('streams ConverseStream with messageStop before metadata', async () => {
    const bedrock = client({ http1 });
    const response = await bedrock.send(
      new ConverseStreamCommand({ modelId: sonnetUs, messages: user('Tell me something') }),
    );
    const events = await collect(response.stream);
    expect(events[0]?.messageStart?.role).toBe('assistant');
    const text = events.map((event) => event.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text.length).toBeGreaterThan(10);
    expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
    expect(events.at(-1)?.metadata?.usage?.outputTokens).toBeGreaterThan(0);
    bedrock.destroy();
  });

  it('answers with a tool call when tools are offered, and in text after the tool result', async () => {
    const bedrock = client({ http1 });
    const toolConfig = {
      tools: [
        {
          toolSpec: {
            name: 'get_weather',
            inputSchema: {
              json: {
                type: 'object',
                properties: {
                  city: { type: 'string', enum: ['Paris'] },
                  days: { type: 'integer', minimum: 1, maximum: 3 },
                },
                required: ['city'],
              },
            },
          },
        },
      ],
    };
    const first = await bedrock.send(
      new ConverseCommand({ modelId: sonnetUs, messages: user('Weather in Paris?'), toolConfig }),
    );
    expect(first.stopReason).toBe('tool_use');
    const toolUse = first.output?.message?.content?.[0]?.toolUse;
    expect(toolUse?.name).toBe('get_weather');
    expect(toolUse?.input).toMatchObject({ city: 'Paris' });
    const second = await bedrock.send(
      new ConverseCommand({
        modelId: sonnetUs,
        toolConfig,
        messages: [
          ...user('Weather in Paris?'),
          { role: 'assistant', content: [{ toolUse: toolUse! }] },
          {
            role: 'user',
            content: [{ toolResult: { toolUseId: toolUse!.toolUseId!, content: [{ text: 'sunny, 21C' }] } }],
          },
        ],
      }),
    );
    expect(second.stopReason).toBe('end_turn');
    expect(second.output?.message?.content?.[0]?.text).toMatch(/tool result/);
    const stream = await bedrock.send(
      new ConverseStreamCommand({ modelId: sonnetUs, messages: user('Weather?'), toolConfig }),
    );
    const events = await collect(stream.stream);
    expect(events.find((event) => event.contentBlockStart)?.contentBlockStart?.start?.toolUse?.name).toBe(
      'get_weather',
    );
    const input = events.map((event) => event.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    expect(JSON.parse(input)).toMatchObject({ city: 'Paris' });
    expect(events.at(-2)?.messageStop?.stopReason).toBe('tool_use');
    bedrock.destroy();
  });

  it('throws the modeled ThrottlingException when the quota is out', async () => {
    sim.addFault({ kind: 'throttle', count: 1 });
    const bedrock = client({ http1 });
    const error = await bedrock
      .send(new ConverseCommand({ modelId: sonnetUs, messages: user('hi') }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).message).toBe(
      'Too many requests, please wait before trying again.',
    );
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(429);
    bedrock.destroy();
  });

  it('surfaces an in-stream exception as the modeled class', async () => {
    sim.addFault({
      kind: 'error',
      status: 424,
      code: 'ModelStreamErrorException',
      after_events: 3,
      count: 1,
    });
    const bedrock = client({ http1 });
    const response = await bedrock.send(
      new ConverseStreamCommand({ modelId: sonnetUs, messages: user('hi') }),
    );
    const error = await collect(response.stream).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelStreamErrorException);
    bedrock.destroy();
  });
});

describe('Bedrock semantics', () => {
  it('rejects a SigV4 signature made with the wrong secret', async () => {
    const bedrock = client({ credentials: { accessKeyId: account1.accessKeyId, secretAccessKey: 'wrong' } });
    const error = await bedrock
      .send(new ConverseCommand({ modelId: sonnetUs, messages: user('hi') }))
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('InvalidSignatureException');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
    bedrock.destroy();
  });

  it('accepts a Bedrock API key as bearer, landing in its home region', async () => {
    const bedrock = new BedrockRuntimeClient({
      region: 'us-west-2',
      endpoint: sim.url,
      token: { token: 'bedrock-api-key-sim-account-1' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    const response = await bedrock.send(
      new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: user('hi') }),
    );
    expect(response.stopReason).toBe('end_turn');
    expect(sim.invocations()[0]).toMatchObject({
      accountId: '111111111111',
      region: 'us-east-1',
      inferenceRegion: 'us-east-1',
    });
    bedrock.destroy();
  });

  it('refuses on-demand calls of profile-only models with the real text', async () => {
    const bedrock = client();
    const error = await bedrock
      .send(
        new ConverseCommand({ modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0', messages: user('hi') }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toMatch(/with on-demand throughput isn't supported/);
    bedrock.destroy();
  });

  it('decodes inference-profile ARNs and rejects inputs beyond the context window', async () => {
    const bedrock = client({ http1: true });
    const arn = `arn:aws:bedrock:us-east-1:111111111111:inference-profile/${sonnetUs}`;
    const ok = await bedrock.send(new ConverseCommand({ modelId: arn, messages: user('hi') }));
    expect(ok.stopReason).toBe('end_turn');
    const long = 'word '.repeat(170_000);
    const error = await bedrock
      .send(new ConverseCommand({ modelId: 'meta.llama3-3-70b-instruct-v1:0', messages: user(long) }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe('Input is too long for requested model.');
    bedrock.destroy();
  });

  it('honours max tokens and stop sequences', async () => {
    const bedrock = client();
    const capped = await bedrock.send(
      new ConverseCommand({
        modelId: 'amazon.nova-pro-v1:0',
        messages: user('hi'),
        inferenceConfig: { maxTokens: 3 },
      }),
    );
    expect(capped.stopReason).toBe('max_tokens');
    expect(capped.usage?.outputTokens).toBe(3);
    const full = await bedrock.send(
      new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: user('hi') }),
    );
    const text = full.output?.message?.content?.[0]?.text ?? '';
    const stopWord = text.split(' ')[2] ?? '';
    const stopped = await bedrock.send(
      new ConverseCommand({
        modelId: 'amazon.nova-pro-v1:0',
        messages: user('hi'),
        inferenceConfig: { stopSequences: [stopWord] },
      }),
    );
    expect(stopped.stopReason).toBe('stop_sequence');
    expect(stopped.output?.message?.content?.[0]?.text).toBe(text.slice(0, text.indexOf(stopWord)));
    bedrock.destroy();
  });

  it('serves InvokeModel for Claude, Llama and Titan embeddings, and its response stream', async () => {
    const bedrock = client();
    const claude = await bedrock.send(
      new InvokeModelCommand({
        modelId: sonnetUs,
        contentType: 'application/json',
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }),
    );
    const message = JSON.parse(new TextDecoder().decode(claude.body));
    expect(message).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
    expect(message.id).toMatch(/^msg_bdrk_/);
    const llama = await bedrock.send(
      new InvokeModelCommand({
        modelId: 'meta.llama3-3-70b-instruct-v1:0',
        body: JSON.stringify({ prompt: 'Hi', max_gen_len: 4 }),
      }),
    );
    expect(JSON.parse(new TextDecoder().decode(llama.body))).toMatchObject({
      generation_token_count: 4,
      stop_reason: 'length',
    });
    const titan = await bedrock.send(
      new InvokeModelCommand({
        modelId: 'amazon.titan-embed-text-v2:0',
        body: JSON.stringify({ inputText: 'hello world', dimensions: 256 }),
      }),
    );
    const embedded = JSON.parse(new TextDecoder().decode(titan.body));
    expect(embedded.embedding).toHaveLength(256);
    expect(embedded.inputTextTokenCount).toBeGreaterThan(0);
    const streamed = await bedrock.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: sonnetUs,
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      }),
    );
    const types: string[] = [];
    let last: Record<string, unknown> = {};
    for await (const event of streamed.body ?? []) {
      last = JSON.parse(new TextDecoder().decode(event.chunk?.bytes));
      types.push(String(last.type));
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(last['amazon-bedrock-invocationMetrics']).toMatchObject({ inputTokenCount: expect.any(Number) });
    bedrock.destroy();
  });

  it('maps error faults to the real status and modeled class', async () => {
    sim.addFault({ kind: 'error', status: 503, count: 1, model: 'amazon.nova-pro-v1:0' });
    const bedrock = client();
    const error = await bedrock
      .send(new ConverseCommand({ modelId: 'amazon.nova-pro-v1:0', messages: user('hi') }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(sim.invocations()[0]).toMatchObject({ status: 503, errorCode: 'ServiceUnavailableException' });
    bedrock.destroy();
  });
});
