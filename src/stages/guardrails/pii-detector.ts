import type { PiiEntity } from '../../core/guardrail-settings.ts';
import type { Finding } from './finding.ts';

/**
 * Personal data and secrets found by fixed patterns, each with bounded repetition so that a match
 * is at most `maxPiiMatch` characters and a scan is linear in the text, plus a check where the
 * data has one (Luhn for cards, mod-97 for IBANs, digit counts for phones), so a random number is
 * not taken for a card. No npm library fit (those that exist pull in NLP models or are unmaintained):
 * the patterns are here, each with its tests.
 */
interface PiiRule {
  readonly pattern: RegExp;
  readonly valid?: (match: string) => boolean;
}

const digitsOf = (text: string): string => text.replace(/\D/g, '');

/** The Luhn checksum of a card number's digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 mod-97 check of an IBAN (spaces ignored). */
export function ibanValid(text: string): boolean {
  const iban = text.replace(/ /g, '').toUpperCase();
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

const rules: Readonly<Record<PiiEntity, PiiRule>> = {
  email: {
    pattern:
      /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63}){0,2}\.[A-Za-z]{2,24}(?![\w-])/g,
  },
  phone: {
    // +<country> with separated groups, or a (123) 456-7890 / 123-456-7890 style number.
    pattern:
      /(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}|\(\d{3}\) ?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w-])/g,
    valid: (match) => {
      const length = digitsOf(match).length;
      return length >= 10 && length <= 15;
    },
  },
  credit_card: {
    pattern: /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g,
    valid: (match) => {
      const digits = digitsOf(match);
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
    },
  },
  us_ssn: {
    pattern: /(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])/g,
  },
  iban: {
    pattern: /(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?!\w)/g,
    valid: ibanValid,
  },
  ip_address: {
    pattern: new RegExp(`(?<![\\w.])(?:${octet}\\.){3}${octet}(?![\\w.]\\w)`, 'g'),
  },
  aws_access_key: {
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  api_key: {
    // OpenAI / Anthropic (sk-...), GitHub (ghp_ and friends), Slack (xox.-), Google (AIza), Stripe (sk_live_).
    pattern:
      /(?<![\w-])(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,200}|gh[pousr]_[A-Za-z0-9]{36,76}|xox[abprs]-[A-Za-z0-9-]{10,200}|AIza[0-9A-Za-z_-]{35}|[rs]k_(?:live|test)_[A-Za-z0-9]{16,200})(?![\w-])/g,
  },
};

/** The longest text any PII pattern matches (a stream's window holds at least this much). */
export const maxPiiMatch = 256;

/** Finds the listed entities in `text`, each match validated; overlaps are resolved by the caller. */
export function findPii(text: string, entities: readonly PiiEntity[]): Finding[] {
  const findings: Finding[] = [];
  for (const entity of entities) {
    const rule = rules[entity];
    rule.pattern.lastIndex = 0;
    for (const match of text.matchAll(rule.pattern)) {
      if (rule.valid !== undefined && !rule.valid(match[0])) continue;
      findings.push({ start: match.index, end: match.index + match[0].length, entity });
    }
  }
  return findings;
}
