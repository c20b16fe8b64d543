import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configWith,
  createHarness,
  ScriptedChatModel,
  type Harness,
} from './support/pipeline/gateway-harness.ts';
import { noStages } from '../src/pipeline/request-stages.ts';
import { createHttpServer, type HttpServer } from '../src/server/http-server.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { TestStage } from './support/test-stage.ts';

// Request stages through real HTTP requests (the openai SDK against the gateway's edge on loopback):
// a stage answers without a deployment, changes the request, refuses it, and transforms the answer
// and the stream. The stages are resolved per tenant: tenant "staged" has the test stage, others none.

let harness: Harness;
let edge: HttpServer;
let origin: string;
const stage = new TestStage();
const small = new ScriptedChatModel('small-model', [{ kind: 'ok', text: 'small answer' }]);
const big = new ScriptedChatModel('big-model', [{ kind: 'ok', text: 'big answer' }]);
const stageList = [stage];

beforeAll(async () => {
  harness = createHarness(
    configWith({
      small: { deployments: [{ id: 'ds', provider: 'east', model: 'small-model' }] },
      big: { deployments: [{ id: 'db', provider: 'east', model: 'big-model' }] },
    }),
    { ds: small, db: big },
    { stages: (principal) => (principal.tenant === 'staged' ? stageList : noStages) },
  );
  edge = createHttpServer({
    gateway: harness.gateway,
    logger: pino({ level: 'silent' }),
    maxBodyBytes: 1 << 20,
    holdResponseEnd: undefined,
  });
  const { port } = await edge.listen(0, '127.0.0.1');
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await edge.shutdown(1000);
});

function ask(text: string, key = 'staged') {
  return openaiClient(origin, key)
    .chat.completions.create({ model: 'small', messages: [{ role: 'user', content: text }] })
    .withResponse();
}

describe('request stages through the gateway', () => {
  it('answers from a stage without calling a deployment; the route headers name no deployment', async () => {
    const callsBefore = small.calls + big.calls;
    const { data, response } = await ask('cached: the weather');
    expect(data.choices[0]?.message.content).toBe('from the cache: the weather');
    expect(small.calls + big.calls).toBe(callsBefore);
    expect(response.headers.get('x-spillway-cache')).toBe('hit');
    expect(response.headers.get('x-spillway-deployment')).toBeNull();
    expect(response.headers.get('x-spillway-region')).toBeNull();
    expect(response.headers.get('x-spillway-model-group')).toBe('small');
    expect(response.headers.get('x-spillway-attempts')).toBe('0');
    const finished = harness.eventsOf('request-finished').at(-1);
    expect(finished).toMatchObject({ status: 200, attempts: 0, target: undefined, requestedGroup: 'small' });
    // The same request from a tenant without stages goes to the deployment.
    const plain = await ask('cached: the weather', 'plain');
    expect(plain.data.choices[0]?.message.content).toBe('small answer');
    expect(plain.response.headers.get('x-spillway-deployment')).toBe('ds');
  });

  it('streams a stage answer as a normal stream, without a deployment', async () => {
    const callsBefore = small.calls + big.calls;
    const stream = await openaiClient(origin, 'staged')
      .chat.completions.create({
        model: 'small',
        stream: true,
        messages: [{ role: 'user', content: 'cached: tides' }],
      })
      .withResponse();
    expect(stream.response.headers.get('x-spillway-deployment')).toBeNull();
    expect(stream.response.headers.get('x-spillway-cache')).toBe('hit');
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('from the cache: tides');
    expect(finish).toBe('stop');
    expect(small.calls + big.calls).toBe(callsBefore);
  });

  it('plans the request a stage changed (here: another model group)', async () => {
    const bigBefore = big.calls;
    const { data, response } = await ask('route to big: hello');
    expect(big.calls).toBe(bigBefore + 1);
    expect(response.headers.get('x-spillway-deployment')).toBe('db');
    expect(response.headers.get('x-spillway-model-group')).toBe('big');
    // The stage's way out saw the answer (upper-cased).
    expect(data.choices[0]?.message.content).toBe('BIG ANSWER');
  });

  it("refuses with the stage's error in the client's dialect, before any upstream call", async () => {
    const callsBefore = small.calls + big.calls;
    const error = await ask('forbidden words').catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      status: 400,
      error: { message: 'the test stage refuses this request', param: 'messages', code: 'invalid_request' },
    });
    expect(small.calls + big.calls).toBe(callsBefore);
  });

  it('transforms a streamed answer from a deployment', async () => {
    const transformedBefore = stage.transformed;
    const stream = await openaiClient(origin, 'staged').chat.completions.create({
      model: 'small',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('SMALL ANSWER');
    expect(stage.transformed).toBeGreaterThan(transformedBefore);
  });
});
