import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { exceedsJsonDepth, maxJsonDepth } from '../../core/json-depth.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { badResponse } from '../../errors/upstream-errors.ts';
import { classifyTransportError } from './transport-errors.ts';

/**
 * A cheap, conservative check of the shape `schema` accepts: true only for values the schema
 * accepts, whose parsed output the caller can read in place of the raw value (a schema of
 * `z.object`s strips unknown keys; the caller must read only the schema's fields). Anything it
 * does not vouch for goes through the schema, which also words the error.
 */
export type QuickCheck = (value: unknown) => boolean;

/**
 * Parses JSON text once and validates it; anything else (including JSON nested more than
 * {@link maxJsonDepth} levels) is a classified `upstream_bad_response`.
 */
export function parseJsonWith<T>(
  text: string,
  schema: z.ZodType<T>,
  what: string,
  quickCheck?: QuickCheck,
): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badResponse(`${what} is not valid JSON: ${(error as Error).message}`, error);
  }
  // Tool inputs are re-serialized with JSON.stringify, which overflows the stack on deep values.
  if (exceedsJsonDepth(value, maxJsonDepth)) {
    throw badResponse(`${what} nests JSON more than ${maxJsonDepth} levels deep`);
  }
  if (quickCheck?.(value) === true) return value as T;
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    throw badResponse(`${what} has an unexpected shape${where}`, result.error);
  }
  return result.data;
}

/** Largest non-streamed upstream answer read (an LLM answer is far smaller; a runaway one is cut). */
export const maxUpstreamBodyBytes = 32 * 1024 * 1024;

/** What an async iterator over a stream reports when the stream closes before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** Where a body read reports to. */
export interface ReadJsonBodyContext {
  readonly signal: AbortSignal;
  readonly upstream: string;
  /** A fast path for the usual shape (see {@link QuickCheck}); the schema decides the rest. */
  readonly quickCheck?: QuickCheck | undefined;
}

/**
 * Reads a whole response body (at most `maxBytes`), parses it once and validates it with `schema`.
 * Transport failures while reading are classified (phase `body`); an oversized body, bad JSON or a
 * wrong shape is `upstream_bad_response`.
 *
 * The body is read with 'data' / 'end' / 'error' / 'close' listeners rather than `for await`: the
 * async iterator and its end-of-stream watcher cost ~3 KB of garbage and several ticks per request.
 */
export function readJsonBody<T>(
  body: Dispatcher.ResponseData['body'],
  schema: z.ZodType<T>,
  context: ReadJsonBodyContext,
  maxBytes: number = maxUpstreamBodyBytes,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let first: Buffer | undefined;
    let parts: Buffer[] | undefined;
    let size = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(
        error instanceof GatewayError
          ? error
          : classifyTransportError(error, context.signal, 'body', context.upstream),
      );
    };
    const onData = (chunk: Buffer): void => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        body.off('data', onData);
        // Destroying emits an 'error' (undici's RequestAbortedError) that `fail` ignores once settled.
        body.destroy();
        fail(badResponse(`${context.upstream} response is larger than ${maxBytes} bytes`));
        return;
      }
      if (first === undefined) first = chunk;
      else (parts ??= [first]).push(chunk);
    };
    const onEnd = (): void => {
      if (settled) return;
      const text =
        first === undefined
          ? ''
          : parts === undefined
            ? first.toString('utf8')
            : Buffer.concat(parts, size).toString('utf8');
      let value: T;
      try {
        value = parseJsonWith(text, schema, `${context.upstream} response`, context.quickCheck);
      } catch (error) {
        fail(error);
        return;
      }
      settled = true;
      resolve(value);
    };
    // 'error' precedes 'close'; a close without either 'end' or 'error' is a premature close.
    const onClose = (): void => {
      if (!settled) fail(body.errored ?? prematureClose());
    };
    if (body.closed) {
      // Destroyed before anyone read it (e.g. aborted between the headers and here): no event will come.
      fail(body.errored ?? prematureClose());
      return;
    }
    // The 'error' listener stays after settling: a destroyed body may still emit one.
    body.on('error', fail);
    body.on('close', onClose);
    body.on('end', onEnd);
    body.on('data', onData);
  });
}
