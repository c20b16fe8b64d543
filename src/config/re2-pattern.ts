import { RE2JS } from 're2js';
import { z } from 'zod';

/**
 * A pattern in RE2 syntax (linear time in the text: no backreferences, no lookaround; `(?i)` for
 * case-insensitive), checked by compiling it. Guardrails and router rules use it.
 */
export const re2Pattern = z
  .string()
  .min(1)
  .max(1000)
  .superRefine((pattern, context) => {
    try {
      RE2JS.compile(pattern);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `not a valid RE2 pattern (linear-time syntax: no backreferences or lookaround): ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  });
