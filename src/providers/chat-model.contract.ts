import { afterEach, describe, expect, it } from 'vitest';
import {
  startFixtureServer,
  unusedPort,
  type FixtureReply,
  type FixtureServer,
} from '../../test/support/providers/fixture-server.ts';
import { collect, failure } from '../../test/support/providers/adapter-outcomes.ts';
import { settlesWithin } from '../../test/support/wait-for.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { CallContext, ChatModel } from '../core/chat-model.ts';
import type { ChatRequest } from '../core/chat-request.ts';

/** Token counts a wire answer reports. */
export interface WireUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** One tool call as a wire answer carries it (`arguments` is compact JSON). */
export interface WireToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** The failures every protocol can answer with, by what they mean to the gateway. */
export type WireFailure =
  'rate_limited' | 'server_error' | 'unavailable' | 'auth' | 'invalid' | 'context_window';

/**
 * One wire protocol as the contract needs it: the adapter under test, and the protocol's own way of
 * saying each canonical answer (its encoders write what the real upstream writes).
 */
export interface ChatModelWire {
  /** The adapter under test, calling the loopback fixture server at `baseUrl`. */
  createModel(baseUrl: string): ChatModel;
  /** A complete answer: `text` in one block, stop reason end_turn, this usage. */
  text(text: string, usage: WireUsage): FixtureReply;
  /** A complete answer calling one tool, stop reason tool_use. */
  toolCall(call: WireToolCall, usage: WireUsage): FixtureReply;
  /** A whole stream: the text in these pieces (one delta each), end_turn, this usage. */
  textStream(pieces: readonly string[], usage: WireUsage): FixtureReply;
  /** A whole stream: one tool call whose arguments come in these pieces, tool_use, this usage. */
  toolCallStream(
    call: Omit<WireToolCall, 'arguments'>,
    pieces: readonly string[],
    usage: WireUsage,
  ): FixtureReply;
  /** The start of a stream (its opening event and one text piece) and nothing more: no terminal events. */
  streamOpening(piece: string): FixtureReply;
  /** The protocol's error answer for `failure`; with Retry-After in seconds where given. */
  error(failure: WireFailure, retryAfterSeconds?: number): FixtureReply;
}

/** What each failure must be classified as (docs/architecture.md, Errors). */
const classification: Readonly<
  Record<WireFailure, { code: string; retryable: boolean; fallbackEligible: boolean }>
> = {
  rate_limited: { code: 'upstream_rate_limited', retryable: true, fallbackEligible: true },
  server_error: { code: 'upstream_server_error', retryable: true, fallbackEligible: true },
  unavailable: { code: 'upstream_unavailable', retryable: true, fallbackEligible: true },
  auth: { code: 'upstream_auth_failed', retryable: false, fallbackEligible: true },
  invalid: { code: 'upstream_invalid_request', retryable: false, fallbackEligible: false },
  context_window: { code: 'context_window_exceeded', retryable: false, fallbackEligible: false },
};

const request: ChatRequest = {
  model: 'group',
  system: 'Be brief.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris?' }] }],
  maxTokens: 64,
  stream: false,
};
const streamRequest: ChatRequest = { ...request, stream: true };
const usage: WireUsage = { inputTokens: 21, outputTokens: 7 };
const weather: WireToolCall = { id: 'call_contract_1', name: 'get_weather', arguments: '{"city":"Paris"}' };

/**
 * The one contract every ChatModel passes (docs/architecture.md, Seams: adapters translate and
 * classify errors; they never retry, sleep or fall back), each adapter against a loopback server
 * speaking its protocol: answers, streams, tool calls and usage in canonical form; every failure
 * classified with the right flags; aborting or leaving a stream releases the upstream request.
 */
export function describeChatModelContract(name: string, wire: ChatModelWire): void {
  describe(`ChatModel contract: ${name}`, () => {
    let server: FixtureServer | undefined;
    let model: ChatModel | undefined;
    afterEach(async () => {
      await model?.close();
      await server?.close();
      model = undefined;
      server = undefined;
    });

    const context = (signal = new AbortController().signal): CallContext => ({
      signal,
      requestId: 'req_contract_1',
    });

    /** A fixture server answering every request with `reply`, and the adapter pointed at it. */
    async function upstream(reply: FixtureReply): Promise<{ server: FixtureServer; model: ChatModel }> {
      server = await startFixtureServer(() => reply);
      model = wire.createModel(server.url);
      return { server, model };
    }

    describe('generate', () => {
      it('answers text with its stop reason and usage, in one POST upstream', async () => {
        const { server, model } = await upstream(wire.text('Sunny, 21°C.', usage));
        const response = await model.generate(request, context());
        expect(response.content).toEqual([{ type: 'text', text: 'Sunny, 21°C.' }]);
        expect(response.stopReason).toBe('end_turn');
        expect(response.usage).toMatchObject(usage);
        expect(server.requests.map((sent) => sent.method)).toEqual(['POST']);
      });

      it('answers a tool call with its id, name and arguments', async () => {
        const { model } = await upstream(wire.toolCall(weather, usage));
        const response = await model.generate(request, context());
        expect(response.content).toEqual([{ type: 'tool_call', ...weather }]);
        expect(response.stopReason).toBe('tool_use');
        expect(response.usage).toMatchObject(usage);
      });
    });

    describe('stream', () => {
      it('streams text as deltas, then the stop reason, then usage', async () => {
        const { model } = await upstream(wire.textStream(['Sunny', ', 21', '°C.'], usage));
        const { events, error } = await collect(model.stream(streamRequest, context()));
        expect(error).toBeUndefined();
        expect(events[0]?.type).toBe('message_start');
        expect(events.slice(1)).toEqual([
          { type: 'text_delta', index: 0, text: 'Sunny' },
          { type: 'text_delta', index: 0, text: ', 21' },
          { type: 'text_delta', index: 0, text: '°C.' },
          { type: 'content_block_stop', index: 0 },
          { type: 'message_stop', stopReason: 'end_turn' },
          { type: 'usage', usage: expect.objectContaining(usage) as unknown },
        ]);
      });

      it('streams a tool call: its start, argument deltas, stop and usage', async () => {
        const { model } = await upstream(
          wire.toolCallStream({ id: weather.id, name: weather.name }, ['{"city":', '"Paris"}'], usage),
        );
        const { events, error } = await collect(model.stream(streamRequest, context()));
        expect(error).toBeUndefined();
        expect(events[0]?.type).toBe('message_start');
        const rest = events.slice(1).filter((event) => event.type !== 'tool_call_delta');
        expect(rest).toEqual([
          { type: 'tool_call_start', index: 0, id: weather.id, name: weather.name },
          { type: 'content_block_stop', index: 0 },
          { type: 'message_stop', stopReason: 'tool_use' },
          { type: 'usage', usage: expect.objectContaining(usage) as unknown },
        ]);
        const argumentText = events
          .map((event) => (event.type === 'tool_call_delta' ? event.argumentsDelta : ''))
          .join('');
        expect(argumentText).toBe(weather.arguments);
      });

      it('throws upstream_stream_interrupted when the stream ends without its terminal events', async () => {
        const { model } = await upstream({ ...wire.streamOpening('Sun'), then: 'end' });
        const { events, error } = await collect(model.stream(streamRequest, context()));
        expect(events.map((event) => event.type)).toEqual(['message_start', 'text_delta']);
        expect(error).toMatchObject({
          code: 'upstream_stream_interrupted',
          retryable: true,
          fallbackEligible: true,
        });
      });
    });

    describe('errors', () => {
      it.each(Object.entries(classification))(
        '%s is classified with its code and flags, in generate and before a stream starts',
        async (kind, expected) => {
          const { model } = await upstream(wire.error(kind as WireFailure));
          expect(await failure(model.generate(request, context()))).toMatchObject(expected);
          const streamed = await collect(model.stream(streamRequest, context()));
          expect(streamed.events).toEqual([]);
          expect(streamed.error).toMatchObject(expected);
        },
      );

      it('a rate limit carries the upstream Retry-After', async () => {
        const { model } = await upstream(wire.error('rate_limited', 2));
        expect(await failure(model.generate(request, context()))).toMatchObject({
          code: 'upstream_rate_limited',
          retryAfterMs: 2000,
        });
      });

      it('a refused connection is a retryable, fallback-eligible connection failure', async () => {
        model = wire.createModel(`http://127.0.0.1:${await unusedPort()}`);
        expect(await failure(model.generate(request, context()))).toMatchObject({
          code: 'upstream_connection_failed',
          retryable: true,
          fallbackEligible: true,
        });
      });
    });

    describe('abort and release', () => {
      it('aborting a call rejects with client_closed (neither retried nor fallen back) and drops the request', async () => {
        const { server, model } = await upstream({ chunks: [], then: 'hang' });
        const controller = new AbortController();
        const pending = failure(model.generate(request, context(controller.signal)));
        while (server.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
        const abandoned = server.nextAbandonedResponse();
        controller.abort();
        expect(await settlesWithin(pending, 'the aborted call rejecting')).toMatchObject({
          code: 'client_closed',
          retryable: false,
          fallbackEligible: false,
        });
        expect(await abandoned).toMatchObject({ method: 'POST' });
      });

      it("aborting with a policy's reason rejects with that reason", async () => {
        const { model } = await upstream(wire.text('late', usage));
        const timeout = new GatewayError('attempt timed out', { code: 'timeout' });
        const policy = new AbortController();
        policy.abort(timeout);
        expect(await failure(model.generate(request, context(policy.signal)))).toBe(timeout);
      });

      it('aborting mid-stream throws the reason and drops the request', async () => {
        const { server, model } = await upstream(wire.streamOpening('Sun'));
        const controller = new AbortController();
        const timeout = new GatewayError('stream idle', { code: 'timeout' });
        const abandoned = server.nextAbandonedResponse();
        const seen: string[] = [];
        const outcome = failure(
          (async () => {
            for await (const event of model.stream(streamRequest, context(controller.signal))) {
              seen.push(event.type);
              if (event.type === 'text_delta') controller.abort(timeout);
            }
          })(),
        );
        expect(await settlesWithin(outcome, 'the aborted stream throwing')).toBe(timeout);
        expect(seen).toEqual(['message_start', 'text_delta']);
        expect(await abandoned).toMatchObject({ method: 'POST' });
      });

      it('breaking out of a stream releases the upstream request', async () => {
        const { server, model } = await upstream(wire.streamOpening('Sun'));
        const abandoned = server.nextAbandonedResponse();
        const leaving = (async () => {
          for await (const event of model.stream(streamRequest, context())) {
            if (event.type === 'text_delta') break;
          }
        })();
        await settlesWithin(leaving, 'leaving the stream early');
        expect(await abandoned).toMatchObject({ method: 'POST' });
      });
    });
  });
}
