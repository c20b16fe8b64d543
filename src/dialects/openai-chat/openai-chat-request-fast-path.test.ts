import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../../errors/gateway-error.ts';
import { isPlainOpenaiChatBody, openaiChatBodySchema, parseOpenaiChat } from './openai-chat-request.ts';

const plain = {
  model: 'group',
  messages: [
    { role: 'system', content: 'rule' },
    { role: 'developer', content: 'rule two' },
    { role: 'user', content: 'Say hello.' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }],
    },
    { role: 'tool', tool_call_id: 'a', content: 'one' },
    { role: 'assistant', content: 'Hi.' },
  ],
  max_tokens: 32,
  max_completion_tokens: 16,
  temperature: 0.5,
  top_p: 1,
  stop: ['x', 'y'],
  stream: true,
  stream_options: { include_usage: true },
  user: 'u',
  n: 1,
  extra: { ignored: true },
};

const replacements: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 60, '', 'x', true, [], [{}], ['s'], {}];

/** Every value reached by replacing one node of `value` (at any depth) with each replacement. */
function mutations(value: unknown): unknown[] {
  const out: unknown[] = [...replacements];
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      for (const mutated of mutations(item)) {
        const copy: unknown[] = [...value];
        copy[index] = mutated;
        out.push(copy);
      }
    });
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      for (const mutated of mutations(record[key])) {
        const copy: Record<string, unknown> = Object.fromEntries(
          Object.entries(record).filter(([name]) => name !== key),
        );
        if (mutated !== undefined) copy[key] = mutated;
        out.push(copy);
      }
    }
    for (const key of ['tools', 'tool_choice', 'response_format', 'role']) {
      out.push({ ...record, [key]: 'auto' });
    }
  }
  return out;
}

function outcome(body: unknown): unknown {
  try {
    return parseOpenaiChat(body);
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    return { message: error.message, param: error.param, code: error.code, status: error.status };
  }
}

describe('isPlainOpenaiChatBody (the fast path of parseOpenaiChat)', () => {
  it('vouches for the usual bodies', () => {
    expect(isPlainOpenaiChatBody(plain)).toBe(true);
    expect(
      isPlainOpenaiChatBody({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 32 }),
    ).toBe(true);
  });

  it('accepts only what the schema accepts, and parses the same as the schema output', () => {
    let vouched = 0;
    let deferred = 0;
    for (const body of mutations(plain)) {
      const parsed = openaiChatBodySchema.safeParse(body);
      if (!isPlainOpenaiChatBody(body)) {
        deferred += 1;
        continue;
      }
      vouched += 1;
      expect(parsed.success, JSON.stringify(body)).toBe(true);
      if (parsed.success) expect(outcome(body)).toEqual(outcome(parsed.data));
    }
    expect(vouched).toBeGreaterThan(50);
    expect(deferred).toBeGreaterThan(50);
  });

  it('leaves every invalid body to the schema and its 400', () => {
    for (const body of mutations(plain)) {
      if (openaiChatBodySchema.safeParse(body).success) continue;
      expect(isPlainOpenaiChatBody(body), JSON.stringify(body)).toBe(false);
      expect(outcome(body)).toMatchObject({ code: 'invalid_request', status: 400 });
    }
  });
});
