import { z } from 'zod';
import { re2Pattern } from './re2-pattern.ts';
import { piiEntities } from '../core/guardrail-settings.ts';

/**
 * Named guardrails (`guardrails.<name>`), attached by name to tenants (`tenants.<t>.guardrails`) and
 * model groups (`models.<g>.guardrails`). docs/configuration.md "Guardrails" describes each key;
 * decision 0021 says why they are request stages and how streams are checked.
 */

const directions = z
  .array(z.enum(['input', 'output']))
  .min(1)
  .max(2)
  .refine((list) => new Set(list).size === list.length, 'lists a direction twice');

const action = z.enum(['block', 'mask', 'flag']);

const common = {
  /** Where it runs: the request on the way in, the answer on the way out (streams included). */
  on: directions.default(['input', 'output']),
};

const piiGuardrail = z
  .object({
    type: z.literal('pii'),
    entities: z
      .array(z.enum(piiEntities, { error: `expected one of ${piiEntities.join(', ')}` }))
      .min(1)
      .default([...piiEntities]),
    action: action.default('mask'),
    ...common,
  })
  .strict();

const regexGuardrail = z
  .object({
    type: z.literal('regex'),
    patterns: z.array(re2Pattern).min(1).max(100),
    action: action.default('block'),
    ...common,
  })
  .strict();

const wordsGuardrail = z
  .object({
    type: z.literal('words'),
    /** Matched whole-word and case-insensitively; a phrase may hold spaces. */
    words: z.array(z.string().trim().min(1).max(200)).min(1).max(10_000),
    action: action.default('block'),
    ...common,
  })
  .strict();

/** Amazon Bedrock Guardrails through ApplyGuardrail: its assessment decides block or mask. */
const bedrockGuardrail = z
  .object({
    type: z.literal('bedrock'),
    /** A `type: bedrock` provider (its region and credentials sign the call). */
    provider: z.string().min(1),
    guardrail_id: z.string().min(1),
    guardrail_version: z.string().min(1),
    /** When ApplyGuardrail cannot be reached: refuse (`block`, the default) or let the text pass. */
    on_error: z.enum(['block', 'allow']).default('block'),
    ...common,
  })
  .strict();

export const guardrailSchema = z.discriminatedUnion('type', [
  piiGuardrail,
  regexGuardrail,
  wordsGuardrail,
  bedrockGuardrail,
]);

/** Assignable to core's GuardrailSettings, which the stages read (build-stages.ts passes one as the other). */
export type GuardrailConfig = z.infer<typeof guardrailSchema>;

/** The names a tenant or a group attaches (each at most once). */
export const guardrailNamesSchema = z
  .array(z.string().min(1))
  .max(32)
  .refine((list) => new Set(list).size === list.length, 'names a guardrail twice');

/** Where a guardrail name is attached, for the check that every name is defined. */
interface Attachments {
  readonly guardrails?: Readonly<Record<string, GuardrailConfig>> | undefined;
  readonly providers: Readonly<Record<string, { readonly type: string }>>;
  readonly tenants: Readonly<Record<string, { readonly guardrails?: readonly string[] | undefined }>>;
  readonly models: Readonly<Record<string, { readonly guardrails?: readonly string[] | undefined }>>;
}

/** An issue at a path, as zod's `superRefine` takes it. */
export interface PathIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * The cross-checks the per-guardrail schema cannot make: every attached name is defined, and a
 * `type: bedrock` guardrail names a Bedrock provider (its region and credentials make the call).
 */
export function guardrailIssues(config: Attachments): PathIssue[] {
  const issues: PathIssue[] = [];
  const defined = config.guardrails ?? {};
  const known = Object.keys(defined);
  const check = (section: 'tenants' | 'models', owner: string, names: readonly string[] | undefined) => {
    names?.forEach((name, index) => {
      if (!Object.hasOwn(defined, name)) {
        issues.push({
          path: [section, owner, 'guardrails', index],
          message: `unknown guardrail "${name}" (defined: ${known.length === 0 ? 'none' : known.join(', ')})`,
        });
      }
    });
  };
  for (const [tenant, settings] of Object.entries(config.tenants))
    check('tenants', tenant, settings.guardrails);
  for (const [group, settings] of Object.entries(config.models)) check('models', group, settings.guardrails);
  for (const [name, guardrail] of Object.entries(defined)) {
    if (guardrail.type !== 'bedrock') continue;
    const provider = config.providers[guardrail.provider];
    if (provider === undefined) {
      const names = Object.keys(config.providers);
      issues.push({
        path: ['guardrails', name, 'provider'],
        message: `unknown provider "${guardrail.provider}" (known: ${names.length === 0 ? 'none' : names.join(', ')})`,
      });
    } else if (provider.type !== 'bedrock') {
      issues.push({
        path: ['guardrails', name, 'provider'],
        message: `ApplyGuardrail is Bedrock's: provider "${guardrail.provider}" is ${provider.type}`,
      });
    }
  }
  return issues;
}
