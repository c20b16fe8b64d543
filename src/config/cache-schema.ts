import { z } from 'zod';

/**
 * The response cache of a model group: `router.cache` is the default of every group, a group's own
 * `cache` replaces it (`{ mode: off }` turns it off for that group). Absent everywhere: no cache.
 * docs/configuration.md "Response cache" describes each key.
 */
export const cacheSchema = z
  .object({
    /** `exact`: the same canonical request; `semantic`: a near-duplicate prompt; `off`: none. */
    mode: z.enum(['exact', 'semantic', 'off']),
    /** How long an answer is served from the cache. */
    ttl_s: z
      .number()
      .int()
      .positive()
      .max(30 * 24 * 3600)
      .default(300),
    /** Bytes the in-memory cache holds at most (least recently used answers leave first). */
    max_bytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** An answer larger than this is not cached (also the bound of one entry in Redis). */
    max_entry_bytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    /** `tenant`: each tenant has its own answers; `global`: tenants share them (say so on purpose). */
    scope: z.enum(['tenant', 'global']).default('tenant'),
    /** Cache requests that sample (temperature > 0) too; off by default, their answers vary. */
    include_sampled: z.boolean().default(false),
    /** Semantic mode: the embedding model group whose vectors compare prompts. */
    embedding_group: z.string().min(1).optional(),
    /** Semantic mode: the cosine similarity at or above which a cached answer is served (0..1]. */
    threshold: z.number().gt(0).lte(1).optional(),
    /** Semantic mode: answers compared per tenant, group and request shape at most (the index is a linear scan). */
    max_entries: z.number().int().positive().max(100_000).default(2000),
    /** Semantic mode: an embedding slower than this is a miss (the request goes upstream, its answer is not kept). */
    embedding_timeout_ms: z.number().int().positive().max(60_000).default(1000),
  })
  .strict()
  .superRefine((cache, context) => {
    if (cache.mode === 'semantic') {
      if (cache.embedding_group === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['embedding_group'],
          message: 'mode: semantic needs embedding_group (an embeddings model group)',
        });
      }
      if (cache.threshold === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['threshold'],
          message: 'mode: semantic needs threshold (cosine similarity in (0, 1], e.g. 0.92)',
        });
      }
    } else {
      for (const key of ['embedding_group', 'threshold'] as const) {
        if (cache[key] !== undefined) {
          context.addIssue({ code: 'custom', path: [key], message: 'applies only to mode: semantic' });
        }
      }
    }
    if (cache.max_entry_bytes > cache.max_bytes) {
      context.addIssue({
        code: 'custom',
        path: ['max_entry_bytes'],
        message: `must not exceed max_bytes (${cache.max_bytes})`,
      });
    }
  });

export type CacheConfig = z.infer<typeof cacheSchema>;
