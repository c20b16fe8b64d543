import { z } from 'zod';

/**
 * Amazon Bedrock Guardrails in the simulator: the world's guardrails (denied topics, custom words,
 * PII entities with BLOCK or ANONYMIZE) and their evaluation, shared by ApplyGuardrail and by
 * Converse's `guardrailConfig`. Shapes follow the Bedrock Runtime API (GuardrailAssessment,
 * GuardrailUsage). Topic detection is by phrase (a real guardrail classifies by meaning).
 */

/** PII entity types the simulator detects (Bedrock's GuardrailPiiEntityType names). */
export const simPiiTypes = [
  'EMAIL',
  'PHONE',
  'US_SOCIAL_SECURITY_NUMBER',
  'CREDIT_DEBIT_CARD_NUMBER',
  'IP_ADDRESS',
  'AWS_ACCESS_KEY',
] as const;
export type SimPiiType = (typeof simPiiTypes)[number];

const piiPatterns: Readonly<Record<SimPiiType, RegExp>> = {
  EMAIL: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g,
  PHONE: /\+?1?[ -.]?\(?\d{3}\)?[ -.]\d{3}[ -.]\d{4}\b/g,
  US_SOCIAL_SECURITY_NUMBER: /\b\d{3}-\d{2}-\d{4}\b/g,
  CREDIT_DEBIT_CARD_NUMBER: /\b(?:\d[ -]?){12,18}\d\b/g,
  IP_ADDRESS: /\b(?:\d{1,3}\.){3}\d{1,3}\b/g,
  AWS_ACCESS_KEY: /\bAKIA[0-9A-Z]{16}\b/g,
};

export const simGuardrailSchema = z
  .object({
    /** Guardrail id (Bedrock: 12 lowercase letters and digits; any non-empty string here). */
    id: z.string().min(1),
    /** Versions that may be named ("DRAFT" and numbers). */
    versions: z.array(z.string().min(1)).min(1).default(['DRAFT', '1']),
    /** Account owning it (default: every account). */
    account: z.string().min(1).optional(),
    /** Regions it exists in (default: every region). */
    regions: z.array(z.string().min(1)).optional(),
    blocked_input_message: z.string().min(1).default('Sorry, the model cannot answer this question.'),
    blocked_output_message: z.string().min(1).default('Sorry, the model cannot answer this question.'),
    /** Denied topics: detected when the text contains one of the phrases (case-insensitive). */
    denied_topics: z
      .array(z.object({ name: z.string().min(1), phrases: z.array(z.string().min(1)).min(1) }).strict())
      .default([]),
    /** Custom words (whole words or phrases, case-insensitive): always BLOCKED. */
    words: z.array(z.string().min(1)).default([]),
    /** PII entities and what to do with each. */
    pii: z
      .array(z.object({ type: z.enum(simPiiTypes), action: z.enum(['BLOCK', 'ANONYMIZE']) }).strict())
      .default([]),
  })
  .strict();

export type SimGuardrail = z.output<typeof simGuardrailSchema>;

export type GuardrailSource = 'INPUT' | 'OUTPUT';

/** Bedrock's GuardrailAssessment (the policies that have findings) and the verdict. */
export interface GuardrailVerdict {
  readonly action: 'GUARDRAIL_INTERVENED' | 'NONE';
  /** The texts to use instead: masked, or the blocked message when blocked. */
  readonly outputs: readonly string[];
  /** Whether something was blocked (not only anonymized). */
  readonly blocked: boolean;
  readonly assessment: Record<string, unknown>;
  readonly usage: Record<string, number>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function wordPattern(word: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(word)}(?![\\p{L}\\p{N}])`, 'giu');
}

function units(texts: readonly string[], configured: boolean): number {
  if (!configured) return 0;
  return texts.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 1000)), 0);
}

/** Evaluates `texts` (from `source`) against a guardrail. Linear in the texts' length per policy. */
export function evaluateGuardrail(
  guardrail: SimGuardrail,
  source: GuardrailSource,
  texts: readonly string[],
): GuardrailVerdict {
  const joined = texts.join('\n').toLowerCase();
  const topics = guardrail.denied_topics
    .filter((topic) => topic.phrases.some((phrase) => joined.includes(phrase.toLowerCase())))
    .map((topic) => ({ name: topic.name, type: 'DENY', action: 'BLOCKED', detected: true }));
  const customWords: Record<string, unknown>[] = [];
  for (const word of guardrail.words) {
    for (const text of texts) {
      for (const match of text.matchAll(wordPattern(word)))
        customWords.push({ match: match[0], action: 'BLOCKED', detected: true });
    }
  }
  const piiEntities: Record<string, unknown>[] = [];
  let piiBlocked = false;
  const masked = texts.map((text) => {
    let out = text;
    for (const entity of guardrail.pii) {
      out = out.replace(piiPatterns[entity.type], (match) => {
        piiEntities.push({
          match,
          type: entity.type,
          action: entity.action === 'BLOCK' ? 'BLOCKED' : 'ANONYMIZED',
          detected: true,
        });
        if (entity.action === 'BLOCK') piiBlocked = true;
        return `{${entity.type}}`;
      });
    }
    return out;
  });
  const blocked = topics.length > 0 || customWords.length > 0 || piiBlocked;
  const intervened = blocked || piiEntities.length > 0;
  const assessment: Record<string, unknown> = {};
  if (topics.length > 0) assessment['topicPolicy'] = { topics };
  if (customWords.length > 0) assessment['wordPolicy'] = { customWords, managedWordLists: [] };
  if (piiEntities.length > 0) assessment['sensitiveInformationPolicy'] = { piiEntities, regexes: [] };
  const message = source === 'INPUT' ? guardrail.blocked_input_message : guardrail.blocked_output_message;
  return {
    action: intervened ? 'GUARDRAIL_INTERVENED' : 'NONE',
    outputs: blocked ? [message] : intervened ? masked : [],
    blocked,
    assessment,
    usage: {
      topicPolicyUnits: units(texts, guardrail.denied_topics.length > 0),
      contentPolicyUnits: 0,
      wordPolicyUnits: units(texts, guardrail.words.length > 0),
      sensitiveInformationPolicyUnits: units(texts, guardrail.pii.length > 0),
      sensitiveInformationPolicyFreeUnits: 0,
      contextualGroundingPolicyUnits: 0,
    },
  };
}

/** The guardrail an account may use in a region, by id and version; undefined if none. */
export function findGuardrail(
  guardrails: readonly SimGuardrail[],
  id: string,
  version: string,
  accountId: string,
  region: string,
): SimGuardrail | undefined {
  const bare = id.includes(':guardrail/') ? (id.split(':guardrail/')[1] ?? id) : id;
  return guardrails.find(
    (guardrail) =>
      guardrail.id === bare &&
      guardrail.versions.includes(version) &&
      (guardrail.account === undefined || guardrail.account === accountId) &&
      (guardrail.regions === undefined || guardrail.regions.includes(region)),
  );
}
