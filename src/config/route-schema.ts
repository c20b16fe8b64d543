import { z } from 'zod';
import { re2Pattern } from './re2-pattern.ts';

/**
 * The rules of a router group (`models.<group>.route`): a router group routes each request to
 * another group instead of to deployments. Rules are tried in order; the first whose `when` holds
 * wins; the last rule is `{ default: <group> }`. docs/configuration.md "Router groups" has each key.
 */
const names = z.array(z.string().min(1)).min(1);

/** Conditions of a rule; all that are given must hold. */
export const routeConditionSchema = z
  .object({
    /** The request's tenant is one of these. */
    tenants: names.optional(),
    /** One of these tags is on the request (`x-spillway-tags`) or on its tenant (`tenants.<t>.tags`). */
    tags: names.optional(),
    /** The estimated prompt tokens are more than this. */
    prompt_tokens_over: z.number().int().nonnegative().optional(),
    /** The estimated prompt tokens are at most this. */
    prompt_tokens_at_most: z.number().int().nonnegative().optional(),
    /** The request offers tools (true) or none (false). */
    tools: z.boolean().optional(),
    /** The request carries an image (true) or none (false). */
    images: z.boolean().optional(),
    /** The request asks for JSON (`json_object` or `json_schema`; true) or not (false). */
    json: z.boolean().optional(),
    /** The last user turn's text matches this regular expression (JavaScript syntax, `(?i)` prefix for case-insensitive). */
    last_user_matches: re2Pattern.optional(),
    /** The request's complexity score (0..1) is at least this. */
    complexity_at_least: z.number().gte(0).lte(1).optional(),
    /** The request's complexity score is below this. */
    complexity_below: z.number().gt(0).lte(1).optional(),
  })
  .strict()
  .refine((when) => Object.values(when).some((value) => value !== undefined), {
    message: 'a rule needs at least one condition (use { default: <group> } for the catch-all)',
  });

export const routeRuleSchema = z.union([
  z
    .object({
      /** A label for the rule in x-spillway-route, metrics and spend records (default: rule-<n>). */
      name: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)')
        .optional(),
      when: routeConditionSchema,
      to: z.string().min(1),
    })
    .strict(),
  z.object({ default: z.string().min(1) }).strict(),
]);

export const routeSchema = z
  .array(routeRuleSchema)
  .min(1)
  .max(100)
  .superRefine((rules, context) => {
    rules.forEach((rule, index) => {
      const isDefault = 'default' in rule;
      if (isDefault && index !== rules.length - 1) {
        context.addIssue({ code: 'custom', path: [index], message: 'the default must be the last rule' });
      }
      if (!isDefault && index === rules.length - 1) {
        context.addIssue({
          code: 'custom',
          path: [index],
          message: 'a router group needs a last rule { default: <group> }',
        });
      }
    });
  });

export type RouteRule = z.infer<typeof routeRuleSchema>;
export type RouteCondition = z.infer<typeof routeConditionSchema>;

/** What a cascade escalates on: a `max_tokens` stop, a refusal (content filter), or JSON that fails the requested format. */
export const cascadeChecks = ['max_tokens', 'refusal', 'invalid_json'] as const;
export type CascadeCheck = (typeof cascadeChecks)[number];

/**
 * A router group's cascade (`models.<router>.cascade`): when a rule routes to `from`, a complete
 * answer from `from` that fails one of `escalate_on` is replaced by one from `to` (both paid for).
 */
export const cascadeSchema = z
  .object({
    from: z.string().min(1),
    to: z.string().min(1),
    escalate_on: z
      .array(z.enum(cascadeChecks))
      .min(1)
      .default([...cascadeChecks]),
  })
  .strict();

export type CascadeSettings = z.infer<typeof cascadeSchema>;

/**
 * A router group's classifier model (`models.<router>.classifier`): a cheap group asked to rate
 * each request 0..1 when a rule reads the complexity score; the transparent score is the fallback.
 */
export const classifierSchema = z
  .object({
    group: z.string().min(1),
    timeout_ms: z.number().int().positive().max(10_000).default(800),
  })
  .strict();

export type ClassifierSettings = z.infer<typeof classifierSchema>;
