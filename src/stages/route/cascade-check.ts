import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';

/** The checks a cascade can escalate on (`models.<router>.cascade.escalate_on`). */
export type CascadeCheck = 'max_tokens' | 'refusal' | 'invalid_json';

function answerText(response: ChatResponse): string {
  let text = '';
  for (const part of response.content) if (part.type === 'text') text += part.text;
  return text;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether the answer is JSON as the request asked: it parses, it is an object, and for a
 * `json_schema` it has the schema's top-level `required` properties. A full JSON Schema validation
 * is the client's; this catches the cheap model's usual failures (prose, a cut or empty object).
 */
function validJson(response: ChatResponse, request: ChatRequest): boolean {
  const format = request.responseFormat;
  if (format === undefined || format.type === 'text') return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answerText(response));
  } catch {
    return false;
  }
  if (format.type === 'json_object') return isObject(parsed);
  const schema = format.schema;
  if (schema['type'] === 'object' && !isObject(parsed)) return false;
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  return !isObject(parsed) || required.every((key) => typeof key !== 'string' || key in parsed);
}

/**
 * The first of `checks` the answer fails, in the order given, or undefined when it passes all:
 * `max_tokens` (stopped at the output cap), `refusal` (the content filter stopped it), `invalid_json`
 * (a JSON answer asked for and not given). Linear in the answer's size.
 */
export function failedCheck(
  response: ChatResponse,
  request: ChatRequest,
  checks: readonly CascadeCheck[],
): CascadeCheck | undefined {
  for (const check of checks) {
    switch (check) {
      case 'max_tokens':
        if (response.stopReason === 'max_tokens') return check;
        break;
      case 'refusal':
        if (response.stopReason === 'content_filter') return check;
        break;
      case 'invalid_json':
        if (!validJson(response, request)) return check;
        break;
    }
  }
  return undefined;
}
