import type { Dispatcher } from 'undici';
import type { z } from 'zod';
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

/**
 * Reads a whole response body, parses it once and validates it with `schema`. Transport failures
 * while reading are classified (phase `body`); bad JSON or shape is `upstream_bad_response`.
 */
export async function readJsonBody<T>(
  body: Dispatcher.ResponseData['body'],
  schema: z.ZodType<T>,
  context: { readonly signal: AbortSignal; readonly upstream: string },
): Promise<T> {
  let text: string;
  try {
    text = await body.text();
  } catch (error) {
    throw classifyTransportError(error, context.signal, 'body', context.upstream);
  }
  return parseJsonWith(text, schema, `${context.upstream} response`);
}
