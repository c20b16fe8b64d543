import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatResponse, StopReason } from '../core/chat-response.ts';
import type { Usage } from '../core/usage.ts';
import { clientMessage } from '../errors/client-message.ts';
import { errorCodes, errorTable } from '../errors/error-table.ts';
import { GatewayError, isGatewayError } from '../errors/gateway-error.ts';
import { breakAt, formatPath, isFreeForm, pathsOf } from './__fixtures__/broken-bodies.ts';
import { canonicalAnswer, float32Vector, streamOf } from './__fixtures__/canonical-arbitraries.ts';
import { DialectServer } from './__fixtures__/dialect-server.ts';
import type { ChatRouteParams, Dialect } from './dialect.ts';

/**
 * The dialect contract: every dialect in src/dialects/dialect-registry.ts passes it (run by
 * dialects.contract.test.ts with each dialect's subject, `<folder>/<folder>-sdk.contract.ts`).
 *
 * - Any canonical answer (fast-check: text, tool calls, every stop reason, usage with cache reads and
 *   writes) rendered by the dialect, complete or as a stream, is what the dialect's official SDK
 *   reads: the SDK's own request goes to a small server that parses it with the dialect, answers in
 *   the dialect, and the SDK's returned object must carry the same text, tool calls, stop reason and
 *   usage. The SDK only ever calls paths the dialect declares.
 * - A stream failing after its first byte ends with the dialect's in-band error, which the SDK throws.
 * - Every error code renders with the error table's status, Retry-After on 429/503/529, and the SDK
 *   throws its own error class for that status carrying our message.
 * - Any field of a valid recorded body given the wrong type is a 400 whose param and message name it.
 */

/** What the official SDK returned for a chat call, in the terms the contract compares. */
export interface SdkAnswer {
  /** The message / completion id; undefined when the dialect's answer has none (Bedrock Converse). */
  readonly id: string | undefined;
  /** The model the SDK reports (the group the client asked for); undefined when the answer names none. */
  readonly model: string | undefined;
  /** Every text block of the answer, joined. */
  readonly text: string;
  /** The tool calls in order, their arguments parsed from JSON (Anthropic: the SDK's `input`). */
  readonly toolCalls: readonly { readonly id: string; readonly name: string; readonly input: unknown }[];
  /** The SDK's stop or finish reason. */
  readonly stopReason: string | null;
  /** The stop sequence the SDK read; undefined when the dialect has no such field. */
  readonly stopSequence: string | null | undefined;
  /** The usage fields the SDK read, by the dialect's names (undefined: no usage in the answer). */
  readonly usage: Readonly<Record<string, number | null | undefined>> | undefined;
  /**
   * The reasoning the SDK read: each reasoning part as `text` plus its signature, a redacted one as
   * its data (undefined: the dialect carries no reasoning content, as in Chat Completions).
   */
  readonly reasoning?: readonly SdkReasoning[] | undefined;
}

/** One reasoning block as an SDK reads it. */
export type SdkReasoning =
  { readonly text: string; readonly signature: string | undefined } | { readonly redacted: string };

/** What the SDK read from an embeddings answer. */
export interface SdkEmbeddings {
  /** The vectors in input order, as numbers (the SDK decodes base64 itself). */
  readonly vectors: readonly (readonly number[])[];
  /** The input tokens the SDK read. */
  readonly inputTokens: number;
}

/** What a thrown SDK error carries. */
export interface SdkError {
  /** The HTTP status (undefined for an in-band stream error). */
  readonly status: number | undefined;
  /** The API's own error message as the SDK exposes it. */
  readonly message: string | undefined;
  /** The Retry-After header the SDK saw, if any. */
  readonly retryAfter: string | null | undefined;
  /** The error type the SDK exposes (OpenAI `type`, Anthropic `error.type`). */
  readonly type: string | null | undefined;
  /** The error code the SDK exposes, where the dialect has one (OpenAI `code`); else undefined. */
  readonly code: string | null | undefined;
}

/** One dialect as the contract drives it through its official SDK (test code, in the dialect's folder). */
export interface DialectContractSubject {
  /** The dialect under test. */
  readonly dialect: Dialect;
  /** One chat call through the SDK at `origin` (the SDK's stream helper accumulates a stream). */
  chat(origin: string, model: string, stream: boolean): Promise<SdkAnswer>;
  /** The model ids the SDK's model list call returns (undefined: the dialect lists no models). */
  listModels(origin: string): Promise<readonly string[]> | undefined;
  /** An embeddings call through the SDK: the vectors and prompt tokens it read (undefined: none). */
  embed(origin: string, model: string): Promise<SdkEmbeddings> | undefined;
  /** Valid embeddings bodies (recorded) whose fields the contract breaks; empty without embeddings. */
  readonly embeddingsBodies: readonly Readonly<Record<string, unknown>>[];
  /** The SDK's base error class: what a stream's in-band error is thrown as. */
  readonly apiErrorClass: abstract new (...args: never[]) => Error;
  /** The class the SDK throws for an HTTP status (e.g. its RateLimitError for 429). */
  errorClassFor(status: number): abstract new (...args: never[]) => Error;
  /** Reads a thrown SDK error. */
  readError(thrown: unknown): SdkError;
  /** The error types the API documents (every rendered error uses one of them). */
  readonly errorTypes: readonly string[];
  /** The SDK's word for each canonical stop reason (typed by the SDK's own union). */
  readonly stopReasons: Readonly<Record<StopReason, string>>;
  /** The usage fields the SDK must read for a canonical usage. */
  expectedUsage(usage: Usage): Readonly<Record<string, number>>;
  /** Valid chat bodies (recorded in the dialect's __fixtures__) whose fields the contract breaks. */
  readonly chatBodies: readonly Readonly<Record<string, unknown>>[];
  /** Paths where any value is accepted (e.g. `tools[*].input_schema`, a JSON schema). */
  readonly freeFormPaths: readonly string[];
  /** What the path fixes for the recorded chat bodies (a dialect with `{model}` routes); default none. */
  readonly chatRouteParams?: ChatRouteParams | undefined;
}

function reasoningOf(answer: ChatResponse): SdkReasoning[] {
  const blocks: SdkReasoning[] = [];
  for (const part of answer.content) {
    if (part.type === 'reasoning') blocks.push({ text: part.text, signature: part.signature });
    else if (part.type === 'redacted_reasoning') blocks.push({ redacted: part.data });
  }
  return blocks;
}

function expectRead(
  subject: DialectContractSubject,
  read: SdkAnswer,
  answer: ChatResponse,
  model: string,
): void {
  if (read.id !== undefined) expect(read.id).toBe(answer.id);
  if (read.model !== undefined) expect(read.model).toBe(model);
  let joined = '';
  const calls: { id: string; name: string; input: unknown }[] = [];
  for (const part of answer.content) {
    if (part.type === 'text') joined += part.text;
    else if (part.type === 'tool_call')
      calls.push({ id: part.id, name: part.name, input: JSON.parse(part.arguments) });
  }
  expect(read.text).toBe(joined);
  expect(read.toolCalls).toEqual(calls);
  if (read.reasoning !== undefined) expect(read.reasoning).toEqual(reasoningOf(answer));
  expect(read.stopReason).toBe(subject.stopReasons[answer.stopReason]);
  if (read.stopSequence !== undefined) expect(read.stopSequence).toBe(answer.stopSequence ?? null);
  expect(read.usage).toEqual(subject.expectedUsage(answer.usage));
}

/** Every field of every body given the wrong type must be a 400 whose param and message name it. */
function expectBrokenFieldsNamed(
  bodies: readonly unknown[],
  parse: (body: unknown) => unknown,
  freeFormPaths: readonly string[],
): number {
  let broken = 0;
  for (const body of bodies) {
    for (const path of pathsOf(body)) {
      const name = formatPath(path);
      if (isFreeForm(name, freeFormPaths)) continue;
      broken += 1;
      let thrown: unknown;
      try {
        parse(breakAt(body, path));
      } catch (error) {
        thrown = error;
      }
      expect(isGatewayError(thrown), `${name}: not refused`).toBe(true);
      const error = thrown as GatewayError;
      expect(error.status, name).toBe(400);
      expect(error.param, `${name}: the 400 names the field (${error.message})`).toBe(name);
      expect(error.message.startsWith(`${name}: `), error.message).toBe(true);
    }
  }
  return broken;
}

/** Runs the contract for one dialect. */
export function runDialectContract(subject: DialectContractSubject): void {
  const { dialect } = subject;
  const server = new DialectServer(dialect);
  const runs = { seed: 20261206, numRuns: 40 } as const;

  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    expect(server.strayPaths).toEqual([]);
    await server.stop();
  });

  describe(`dialect ${dialect.name}: answers`, () => {
    it('any canonical answer renders to what the official SDK reads', async () => {
      await fc.assert(
        fc.asyncProperty(canonicalAnswer, async (answer) => {
          server.script = { kind: 'answer', response: answer };
          expectRead(subject, await subject.chat(server.origin, 'group-a', false), answer, 'group-a');
        }),
        runs,
      );
    });

    it('any canonical stream renders to what the SDK stream helper accumulates', async () => {
      await fc.assert(
        fc.asyncProperty(canonicalAnswer, async (answer) => {
          server.script = { kind: 'stream', events: streamOf(answer) };
          expectRead(subject, await subject.chat(server.origin, 'group-b', true), answer, 'group-b');
        }),
        runs,
      );
      expect(server.parsed.at(-1)?.request.stream).toBe(true);
    });

    it('a stream failing after its first byte ends with an in-band error the SDK throws', async () => {
      const events = streamOf({
        id: 'msg_1',
        model: 'm',
        content: [{ type: 'text', text: 'partial answer' }],
        stopReason: 'end_turn',
        usage: { inputTokens: 1, outputTokens: 1 },
      }).slice(0, 2);
      const failure = new GatewayError('upstream went away mid-stream', {
        code: 'upstream_stream_interrupted',
      });
      server.script = { kind: 'stream', events, failWith: failure };
      const thrown = await subject.chat(server.origin, 'group-c', true).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(thrown).toBeInstanceOf(subject.apiErrorClass);
      const read = subject.readError(thrown);
      // the upstream's text stays in the log: the client reads the gateway's wording
      expect(read.message).toBe(clientMessage(failure));
      expect(subject.errorTypes).toContain(read.type);
    });

    it('any embeddings answer reads back through the SDK', async () => {
      if (dialect.embeddings === undefined) return;
      await fc.assert(
        fc.asyncProperty(
          fc.array(float32Vector, { minLength: 2, maxLength: 2 }),
          fc.nat({ max: 100_000 }),
          async (vectors, tokens) => {
            server.script = {
              kind: 'embeddings',
              response: { model: 'm', embeddings: vectors, inputTokens: tokens },
            };
            const read = await subject.embed(server.origin, 'group-v');
            expect(read).toEqual({ vectors, inputTokens: tokens });
          },
        ),
        runs,
      );
    });

    it('the model list reads back through the SDK', async () => {
      if (dialect.models === undefined) return;
      server.script = {
        kind: 'models',
        models: [{ id: 'fast' }, { id: 'smart', description: 'the big one' }],
      };
      expect(await subject.listModels(server.origin)).toEqual(['fast', 'smart']);
    });
  });

  describe(`dialect ${dialect.name}: errors`, () => {
    it.each(errorCodes.map((code) => [code] as const))(
      '%s: the table status, Retry-After on 429/503/529, the SDK error class for the status, our client message',
      async (code) => {
        const entry = errorTable[code];
        const error = new GatewayError(`failure ${code}`, { code, retryAfterMs: 2500 });
        const rendered = dialect.renderError(error);
        expect(rendered.status).toBe(entry.status);
        server.script = { kind: 'error', error };
        const thrown = await subject.chat(server.origin, 'group-e', false).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(thrown).toBeInstanceOf(subject.errorClassFor(entry.status));
        const read = subject.readError(thrown);
        expect(read.status).toBe(entry.status);
        expect(read.message).toBe(clientMessage(error));
        expect(subject.errorTypes).toContain(read.type);
        if (read.code !== undefined) expect(read.code).toBe(code);
        expect(read.retryAfter ?? undefined).toBe([429, 503, 529].includes(entry.status) ? '3' : undefined);
      },
    );
  });

  describe(`dialect ${dialect.name}: parse errors`, () => {
    const routeParams = subject.chatRouteParams ?? {};
    it('parses every recorded body', () => {
      expect(subject.chatBodies.length).toBeGreaterThan(0);
      for (const body of subject.chatBodies)
        expect(dialect.parseChat(body, routeParams).request.messages.length).toBeGreaterThan(0);
    });

    it('any field of a recorded body given the wrong type is a 400 naming that field', () => {
      const parse = (body: unknown): unknown => dialect.parseChat(body, routeParams);
      expect(expectBrokenFieldsNamed(subject.chatBodies, parse, subject.freeFormPaths)).toBeGreaterThan(10);
    });

    it('the same for embeddings bodies, where the dialect serves embeddings', () => {
      const codec = dialect.embeddings;
      expect(subject.embeddingsBodies.length > 0).toBe(codec !== undefined);
      if (codec === undefined) return;
      for (const body of subject.embeddingsBodies)
        expect(codec.parse(body).request.input.length).toBeGreaterThan(0);
      const parse = (body: unknown): unknown => codec.parse(body);
      expect(expectBrokenFieldsNamed(subject.embeddingsBodies, parse, [])).toBeGreaterThan(3);
    });
  });
}
