import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.ts';
import { badResponse } from '../../errors/upstream-errors.ts';
import { classifyTransportError } from './transport-errors.ts';

/** Parses JSON text once and validates it; anything else is a classified `upstream_bad_response`. */
export function parseJsonWith<T>(text: string, schema: z.ZodType<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badResponse(`${what} is not valid JSON: ${(error as Error).message}`, error);
  }
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

/**
 * Reads a whole response body (at most `maxBytes`), parses it once and validates it with `schema`.
 * Transport failures while reading are classified (phase `body`); an oversized body, bad JSON or a
 * wrong shape is `upstream_bad_response`.
 */
export async function readJsonBody<T>(
  body: Dispatcher.ResponseData['body'],
  schema: z.ZodType<T>,
  context: { readonly signal: AbortSignal; readonly upstream: string },
  maxBytes: number = maxUpstreamBodyBytes,
): Promise<T> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const part of body) {
      const chunk = part as Buffer;
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy();
        throw badResponse(`${context.upstream} response is larger than ${maxBytes} bytes`);
      }
      parts.push(chunk);
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw classifyTransportError(error, context.signal, 'body', context.upstream);
  }
  const text =
    parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8');
  return parseJsonWith(text, schema, `${context.upstream} response`);
}
