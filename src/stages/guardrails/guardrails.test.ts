import { describe, expect, it } from 'vitest';
import { guardrailSchema } from '../../config/guardrail-schema.ts';
import type { LocalGuardrailSettings } from '../../core/guardrail-settings.ts';
import { configSchema } from '../../config/schema.ts';
import type { GatewayEvent } from '../../core/gateway-events.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { detectorOf } from './detector.ts';
import { ibanValid, luhnValid } from './pii-detector.ts';
import { guardStream } from './stream-window.ts';
import { TextCheck, type Guardrail } from './text-check.ts';

const guardrail = (name: string, raw: unknown): Guardrail => {
  const config = guardrailSchema.parse(raw) as LocalGuardrailSettings;
  return { name, action: config.action, detector: detectorOf(config) };
};
const pii = guardrail('pii', { type: 'pii' });
const mask = (text: string, ...list: Guardrail[]) =>
  new TextCheck(list.length ? list : [pii], 'input').apply(text);

describe('pii detector', () => {
  it('masks emails, cards (Luhn), SSNs, IBANs (mod-97), IPs, phones, AWS keys and API keys', () => {
    expect(mask('mail jane.doe+x@example.co.uk now')).toBe('mail [EMAIL] now');
    expect(mask('card 4111 1111 1111 1111 ok')).toBe('card [CREDIT_CARD] ok');
    expect(mask('card 4111-1111-1111-1111.')).toBe('card [CREDIT_CARD].');
    expect(mask('ssn 123-45-6789')).toBe('ssn [US_SSN]');
    expect(mask('iban GB82 WEST 1234 5698 7654 32 ok')).toBe('iban [IBAN] ok');
    expect(mask('from 192.168.1.20 today')).toBe('from [IP_ADDRESS] today');
    expect(mask('call +1 415 555 0100 or (415) 555-0199')).toBe('call [PHONE] or [PHONE]');
    expect(mask('key AKIAIOSFODNN7EXAMPLE')).toBe('key [AWS_ACCESS_KEY]');
    expect(mask('use sk-proj-abcdefghijklmnopqrstuvwx123')).toBe('use [API_KEY]');
  });

  it('leaves numbers that only look like data alone', () => {
    // 16 digits failing Luhn, an order number, a version, an IBAN with a wrong check, a 999 area SSN
    expect(mask('order 4111 1111 1111 1112 shipped')).toBe('order 4111 1111 1111 1112 shipped');
    expect(mask('id 1234567890123456')).toBe('id 1234567890123456');
    expect(mask('version 1.2.3.4000 and 300.1.1.1')).toBe('version 1.2.3.4000 and 300.1.1.1');
    expect(mask('GB82 WEST 1234 5698 7654 33')).toBe('GB82 WEST 1234 5698 7654 33');
    expect(mask('ref 999-45-6789')).toBe('ref 999-45-6789');
    expect(mask('total 12345 items')).toBe('total 12345 items');
  });

  it('does not mask random 16-digit numbers as cards (about one in ten passes Luhn by chance, none fail it)', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed);
    for (let index = 0; index < 200; index += 1) {
      let digits = String(1 + (next() % 9));
      while (digits.length < 16) digits += String(next() % 10);
      const masked = mask(`n ${digits}`, guardrail('c', { type: 'pii', entities: ['credit_card'] }));
      expect(masked === `n ${digits}`).toBe(!luhnValid(digits));
    }
  });

  it('checks Luhn and mod-97', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE89 3704 0044 0532 0130 01')).toBe(false);
  });
});

describe('regex and word detectors', () => {
  it('matches RE2 patterns with (?i) and words whole, case-insensitively', () => {
    const codenames = guardrail('codenames', {
      type: 'regex',
      patterns: ['(?i)project\\s+bluebird'],
      action: 'mask',
    });
    expect(mask('about PROJECT  Bluebird.', codenames)).toBe('about [REDACTED].');
    const words = guardrail('words', { type: 'words', words: ['secret sauce', 'c++'], action: 'mask' });
    expect(mask('The Secret Sauce, secretsauce, c++ and c++17', words)).toBe(
      'The [REDACTED], secretsauce, [REDACTED] and [REDACTED]17',
    );
    expect(mask('unsecret sauce', words)).toBe('unsecret sauce');
  });

  it('runs in linear time on a pattern that backtracks catastrophically elsewhere', () => {
    const evil = guardrail('evil', { type: 'regex', patterns: ['(a+)+$'], action: 'flag' });
    const text = `${'a'.repeat(50_000)}!`;
    expect(mask(text, evil)).toBe(text); // would take ages with a backtracking engine
  });

  it('blocks without the matched text in the error, and counts what it did', () => {
    const events: GatewayEvent[] = [];
    const block = guardrail('codenames', { type: 'words', words: ['bluebird'] });
    const check = new TextCheck([pii, block], 'input');
    expect(check.apply('mail a@b.io')).toBe('mail [EMAIL]');
    let error: unknown;
    try {
      check.apply('about Bluebird');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('content_policy');
    expect((error as GatewayError).message).toContain('"codenames"');
    expect((error as GatewayError).message).not.toContain('luebird');
    check.report({ emit: (event) => events.push(event) }, { requestId: 'r', tenant: 't', group: 'g' });
    expect(events).toEqual([
      expect.objectContaining({
        guardrail: 'pii',
        action: 'mask',
        direction: 'input',
        entities: { email: 1 },
      }),
      expect.objectContaining({ guardrail: 'codenames', action: 'block', entities: { word: 1 } }),
    ]);
  });
});

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

// eslint-disable-next-line @typescript-eslint/require-await -- a stream source for the tests
async function* source(deltas: readonly string[]): AsyncGenerator<ChatStreamEvent> {
  yield { type: 'message_start', id: 'm', model: 'x' };
  for (const text of deltas) yield { type: 'text_delta', index: 0, text };
  yield { type: 'content_block_stop', index: 0 };
  yield { type: 'message_stop', stopReason: 'end_turn' };
}

const textOf = (events: readonly ChatStreamEvent[]) =>
  events.map((event) => (event.type === 'text_delta' ? event.text : '')).join('');

describe('stream window', () => {
  it('masks a match split across deltas before any of it leaves, and keeps the order of events', async () => {
    const deltas = [
      ...'x'.repeat(300).match(/.{1,7}/g)!,
      ' write to jo',
      'hn.sm',
      'ith@exa',
      'mple.com please',
      ...'y'.repeat(400).match(/.{1,5}/g)!,
    ];
    const events = await collect(guardStream(source(deltas), new TextCheck([pii], 'output'), 32));
    expect(textOf(events)).toBe(`${'x'.repeat(300)} write to [EMAIL] please${'y'.repeat(400)}`);
    for (const event of events) if (event.type === 'text_delta') expect(event.text).not.toMatch(/smith|exa/);
    expect(events.at(0)?.type).toBe('message_start');
    expect(events.slice(-2).map((event) => event.type)).toEqual(['content_block_stop', 'message_stop']);
  });

  it('releases text once the window has passed (the client sees text before the stream ends)', async () => {
    const deltas = 'abcdefghij'.repeat(100).match(/.{1,10}/g)!;
    const seen: number[] = [];
    let arrived = 0;
    async function* counting() {
      for await (const event of source(deltas)) {
        if (event.type === 'text_delta') arrived += event.text.length;
        yield event;
      }
    }
    for await (const event of guardStream(counting(), new TextCheck([pii], 'output'), 100)) {
      if (event.type === 'text_delta') seen.push(arrived);
    }
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[0]).toBeLessThan(1000); // the first text left long before the last arrived
    expect(seen[0]).toBeGreaterThanOrEqual(100); // and not before the window had passed
  });

  it('ends with the guardrail error mid-stream, the matched text never sent', async () => {
    const block = guardrail('codenames', { type: 'regex', patterns: ['(?i)project\\s+bluebird'] });
    const deltas = [
      ...'z'.repeat(500).match(/.{1,10}/g)!,
      'the proj',
      'ect blue',
      'bird plan',
      ...'w'.repeat(500).match(/.{1,10}/g)!,
    ];
    const out: ChatStreamEvent[] = [];
    await expect(async () => {
      for await (const event of guardStream(source(deltas), new TextCheck([block], 'output'), 64))
        out.push(event);
    }).rejects.toMatchObject({ code: 'content_policy' });
    expect(textOf(out)).not.toContain('proj');
    expect(out.some((event) => event.type === 'message_stop')).toBe(false);
  });
});

describe('config', () => {
  const base = { models: { g: { deployments: [] } } };
  const issues = (config: unknown) => {
    const result = configSchema.safeParse(config);
    return result.success
      ? []
      : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('names the path of an unknown guardrail, a bad regex, an unknown type or entity, and the provider of a bedrock guardrail', () => {
    expect(
      issues({
        ...base,
        guardrails: { pii: { type: 'pii' } },
        tenants: { a: { guardrails: ['pii', 'nope'] } },
      }),
    ).toEqual(['tenants.a.guardrails.1: unknown guardrail "nope" (defined: pii)']);
    expect(issues({ ...base, guardrails: { r: { type: 'regex', patterns: ['(a)\\1'] } } })[0]).toMatch(
      /^guardrails\.r\.patterns\.0: not a valid RE2 pattern/,
    );
    expect(issues({ ...base, guardrails: { x: { type: 'nlp' } } })[0]).toMatch(/^guardrails\.x\.type/);
    expect(issues({ ...base, guardrails: { p: { type: 'pii', entities: ['dna'] } } })[0]).toMatch(
      /^guardrails\.p\.entities\.0: expected one of email/,
    );
    expect(
      issues({
        ...base,
        guardrails: { b: { type: 'bedrock', provider: 'p', guardrail_id: 'g', guardrail_version: '1' } },
      }),
    ).toEqual(['guardrails.b.provider: unknown provider "p" (known: none)']);
    const bedrock = { type: 'bedrock', provider: 'p', guardrail_id: 'g', guardrail_version: '1' };
    expect(
      issues({
        ...base,
        providers: { p: { type: 'openai', base_url: 'http://127.0.0.1:1/v1', api_key: 'k' } },
        guardrails: { b: bedrock },
      }),
    ).toEqual(['guardrails.b.provider: ApplyGuardrail is Bedrock\'s: provider "p" is openai']);
    expect(
      issues({
        ...base,
        providers: { p: { type: 'bedrock', region: 'us-east-1' } },
        guardrails: { b: bedrock },
      }),
    ).toEqual([]);
    expect(
      issues({ guardrails: { w: { type: 'words', words: ['x'] } }, models: { g: { guardrails: ['w'] } } }),
    ).toEqual([]);
  });
});
