import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { simGuardrailSchema } from './bedrock/sim-guardrails.ts';
import { faultSpecSchema } from './fault-spec.ts';

/**
 * The simulated world: accounts and their credentials, Bedrock regions, models and inference
 * profiles, quotas, latencies, the OpenAI-style and Anthropic-style endpoints, and standing faults.
 * Keys are snake_case, as in a world file. See src/simulator/README.md.
 */

const latencySchema = z
  .object({
    /** Mean time to first token, ms. */
    ttft_ms: z.number().nonnegative(),
    /** Output tokens per second after the first. */
    tokens_per_second: z.number().positive(),
    /** Relative jitter, 0..1: each delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]. */
    jitter: z.number().min(0).max(1).default(0.1),
  })
  .strict();

const quotaSchema = z.object({ rpm: z.number().int().positive(), tpm: z.number().int().positive() }).strict();

const modelSchema = z
  .object({
    /** Foundation model id, e.g. anthropic.claude-haiku-4-5-20251001-v1:0 or gpt-4o-mini. */
    id: z.string().min(1),
    /** chat or embedding. */
    kind: z.enum(['chat', 'embedding']).default('chat'),
    /** Bedrock: regions serving it (default: every region). */
    regions: z.array(z.string().min(1)).optional(),
    /** Bedrock: whether the bare id may be invoked on demand (false: profile-only). */
    on_demand: z.boolean().default(true),
    /** Bedrock: profile prefixes offering it, e.g. [us, eu, global]. */
    profiles: z.array(z.string().min(1)).default([]),
    /** Context window in tokens. */
    context_window: z.number().int().positive().default(128000),
    /** Embedding dimensions (default 1024 for Titan, 1536 otherwise). */
    dimensions: z.number().int().positive().optional(),
  })
  .strict();

const overrideSchema = z
  .object({
    account: z.string().optional(),
    region: z.string().optional(),
    model: z.string().optional(),
  })
  .strict();

const accountSchema = z
  .object({
    /** Account id, e.g. 111111111111. */
    id: z.string().min(1),
    /** SigV4 credentials of the account. */
    access_keys: z
      .array(z.object({ access_key_id: z.string().min(1), secret_access_key: z.string().min(1) }).strict())
      .default([]),
    /** Bedrock API keys (bearer); `region` is the key's home region, where its calls land. */
    api_keys: z.array(z.object({ key: z.string().min(1), region: z.string().min(1) }).strict()).default([]),
  })
  .strict();

const endpointSchema = z
  .object({
    /** Account label for the invocation log. */
    account: z.string().min(1),
    /** Region label for the invocation log. */
    region: z.string().min(1).default('global'),
    api_keys: z.array(z.string().min(1)).min(1),
    models: z.array(modelSchema),
    /** Per key × model limits, reported in rate-limit headers and enforced. */
    limits: quotaSchema,
  })
  .strict();

export const simWorldSchema = z
  .object({
    /** Bedrock regions. */
    regions: z.array(z.string().min(1)).min(1),
    accounts: z.array(accountSchema).min(1),
    bedrock: z
      .object({
        models: z.array(modelSchema),
        /** Profile prefix → regions, e.g. us: [us-east-1, us-east-2, us-west-2]. */
        profiles: z.record(z.string(), z.array(z.string().min(1)).min(1)),
        /** Default quota per account × region × model, and overrides (first match wins). */
        quotas: z
          .object({
            default: quotaSchema,
            overrides: z.array(overrideSchema.extend(quotaSchema.partial().shape).strict()).default([]),
          })
          .strict(),
        /** Bedrock Guardrails (ApplyGuardrail, Converse guardrailConfig). */
        guardrails: z.array(simGuardrailSchema).default([]),
      })
      .strict(),
    openai: endpointSchema,
    anthropic: endpointSchema,
    latency: z
      .object({
        default: latencySchema,
        /** Per region and/or model (first match wins). */
        overrides: z
          .array(overrideSchema.omit({ account: true }).extend(latencySchema.partial().shape).strict())
          .default([]),
      })
      .strict(),
    /** Multiplies every simulated delay: 0 = instant (tests), 1 = realistic. */
    latency_scale: z.number().nonnegative().default(1),
    /** Faults active from start. */
    faults: z.array(faultSpecSchema).default([]),
  })
  .strict();

/** A world file as written (defaults not applied). */
export type SimWorldInput = z.input<typeof simWorldSchema>;
/** A validated world. */
export type SimWorld = z.output<typeof simWorldSchema>;
/** One model of the world. */
export type SimModel = SimWorld['bedrock']['models'][number];
/** A latency profile. */
export type SimLatency = SimWorld['latency']['default'];

/** A world file that does not validate; the message has one line per problem, with its path. */
export class SimWorldError extends Error {
  override readonly name = 'SimWorldError';
}

function formatPath(path: readonly PropertyKey[]): string {
  let result = '';
  for (const segment of path) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else result += result === '' ? String(segment) : `.${String(segment)}`;
  }
  return result === '' ? '(root)' : result;
}

/** Validates a parsed world (also checks that regions named in models and profiles exist). */
export function parseSimWorld(value: unknown, source = 'world'): SimWorld {
  const parsed = simWorldSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`);
    throw new SimWorldError(`${source}: invalid simulator world\n${lines.join('\n')}`);
  }
  const world = parsed.data;
  const known = new Set(world.regions);
  const problems: string[] = [];
  world.bedrock.models.forEach((model, index) => {
    model.regions?.forEach((region, position) => {
      if (!known.has(region))
        problems.push(`  bedrock.models[${index}].regions[${position}]: unknown region "${region}"`);
    });
  });
  for (const [prefix, regions] of Object.entries(world.bedrock.profiles)) {
    regions.forEach((region, position) => {
      if (!known.has(region))
        problems.push(`  bedrock.profiles.${prefix}[${position}]: unknown region "${region}"`);
    });
  }
  world.accounts.forEach((account, index) => {
    account.api_keys.forEach((key, position) => {
      if (!known.has(key.region))
        problems.push(`  accounts[${index}].api_keys[${position}].region: unknown region "${key.region}"`);
    });
  });
  world.bedrock.guardrails.forEach((guardrail, index) => {
    guardrail.regions?.forEach((region, position) => {
      if (!known.has(region))
        problems.push(`  bedrock.guardrails[${index}].regions[${position}]: unknown region "${region}"`);
    });
  });
  if (problems.length > 0)
    throw new SimWorldError(`${source}: invalid simulator world\n${problems.join('\n')}`);
  return world;
}

/** Reads and validates a YAML (or JSON) world file. */
export async function loadSimWorld(path: string): Promise<SimWorld> {
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new SimWorldError(
      `${path}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseSimWorld(value, path);
}
