import {
  AccessDeniedException,
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  InvokeModelCommand,
  type Message,
  ModelStreamErrorException,
  ResourceNotFoundException,
  ThrottlingException,
  type Tool,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { ask, collect, profileId, throttledRpm, useBedrockIngress } from './support/bedrock-ingress.ts';

// Issue 14 acceptance (Bedrock-compatible ingress, Converse): the AWS JS SDK, with a virtual key as
// its Bedrock API key (bearer token), against a real gateway process with the simulator behind it,
// served by a Bedrock deployment and by an OpenAI-style one. InvokeModel, CountTokens and boto3:
// client-bedrock-invoke.e2e.test.ts.

const { world, throttledKey, client } = useBedrockIngress();

const weatherTool: Tool = {
  toolSpec: {
    name: 'get_weather',
    description: 'Current weather in a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
};

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

describe('AWS SDK ConverseStream → gateway: a stream cut after its first byte', () => {
  it('ends with the modelStreamErrorException frame the SDK throws, after the text it got', async () => {
    world.sim.addFault({ kind: 'cut_stream', after_events: 4, count: 1, api: 'openai' });
    const { bedrock } = client();
    const output = await bedrock.send(
      new ConverseStreamCommand({
        modelId: 'gpt',
        messages: [{ role: 'user', content: [{ text: 'Write a long answer about rivers, please.' }] }],
        inferenceConfig: { maxTokens: 400 },
      }),
    );
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of output.stream ?? []) seen.push(Object.keys(event)[0] ?? '');
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ModelStreamErrorException);
    expect(seen).toContain('contentBlockDelta');
    expect(seen).not.toContain('messageStop');
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
          additionalModelRequestFields: { top_p: 0.5 },
        }),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationException);
    expect((refused as Error).message).toMatch(/^additionalModelRequestFields\.top_p: not supported/);
  });

  it('a bad key is the AccessDeniedException the SDK maps, never retried', async () => {
    const { bedrock } = client(`sk-not-a-key-${Date.now().toString(36)}`, 3);
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
      .send(
        new InvokeModelCommand({
          modelId: 'nova',
          body: JSON.stringify({
            anthropic_version: 'bedrock-2023-05-31',
            max_tokens: 10,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        }),
      )
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
