import { expect } from 'vitest';

/** An OpenAI error body: `{error:{message,type,param,code}}`, exactly those keys. */
export interface OpenaiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** An Anthropic error body: `{type:"error",error:{type,message}}`. */
export interface AnthropicErrorBody {
  readonly type: 'error';
  readonly error: { readonly type: string; readonly message: string };
}

/** Asserts `body` is an OpenAI-dialect error body and returns it typed. */
export function expectOpenaiError(body: unknown): OpenaiErrorBody {
  expect(body).toEqual({
    error: {
      message: expect.any(String),
      type: expect.any(String),
      param: expect.toSatisfy((value: unknown) => value === null || typeof value === 'string'),
      code: expect.toSatisfy((value: unknown) => value === null || typeof value === 'string'),
    },
  });
  const typed = body as OpenaiErrorBody;
  expect(typed.error.message).not.toBe('');
  return typed;
}

/** Asserts `body` is an Anthropic-dialect error body and returns it typed. */
export function expectAnthropicError(body: unknown): AnthropicErrorBody {
  expect(body).toEqual({
    type: 'error',
    error: { type: expect.any(String), message: expect.any(String) },
  });
  const typed = body as AnthropicErrorBody;
  expect(typed.error.message).not.toBe('');
  return typed;
}
