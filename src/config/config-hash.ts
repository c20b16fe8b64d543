import { createHash } from 'node:crypto';
import type { SpillwayConfig } from './schema.ts';

/** A short stable hash of a validated config: replicas compare it to spot config drift. */
export function configHash(config: SpillwayConfig): string {
  return createHash('sha256').update(stableStringify(config)).digest('hex').slice(0, 12);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
