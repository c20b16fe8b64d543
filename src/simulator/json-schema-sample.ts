import type { Prng } from './prng.ts';

const words = ['Paris', 'Seattle', 'blue', 'alpha', 'example', 'London', 'today', 'celsius'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A value that satisfies the common subset of a JSON schema (type, properties, required, items,
 * enum, const, default, anyOf/oneOf/allOf, minimum/maximum, minItems), chosen with `prng`.
 */
export function sampleJsonSchema(schema: unknown, prng: Prng, depth = 0): unknown {
  if (!isRecord(schema) || depth > 8) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return prng.pick(schema.enum as unknown[]);
  if ('default' in schema) return schema.default;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return sampleJsonSchema(options[0], prng, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const merged: Record<string, unknown> = {};
    for (const part of schema.allOf) {
      const value = sampleJsonSchema(part, prng, depth + 1);
      if (isRecord(value)) Object.assign(merged, value);
    }
    return merged;
  }
  const declared = schema.type;
  const type = Array.isArray(declared) ? (declared.find((t) => t !== 'null') as unknown) : declared;
  switch (type) {
    case 'string':
      return sampleString(schema, prng);
    case 'integer':
    case 'number': {
      const minimum = typeof schema.minimum === 'number' ? schema.minimum : 1;
      const maximum = typeof schema.maximum === 'number' ? schema.maximum : minimum + 99;
      const value = minimum + prng.next() * (maximum - minimum);
      return type === 'integer' ? Math.round(value) : Math.round(value * 100) / 100;
    }
    case 'boolean':
      return prng.next() < 0.5;
    case 'null':
      return null;
    case 'array': {
      const count = typeof schema.minItems === 'number' ? Math.max(1, schema.minItems) : 1;
      return Array.from({ length: count }, () => sampleJsonSchema(schema.items, prng, depth + 1));
    }
    default:
      return sampleObject(schema, prng, depth);
  }
}

function sampleString(schema: Record<string, unknown>, prng: Prng): string {
  if (schema.format === 'date') return '2025-01-15';
  if (schema.format === 'date-time') return '2025-01-15T12:00:00Z';
  if (schema.format === 'email') return 'user@example.com';
  if (schema.format === 'uri') return 'https://example.com/';
  return prng.pick(words);
}

function sampleObject(schema: Record<string, unknown>, prng: Prng, depth: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const properties = isRecord(schema.properties) ? schema.properties : {};
  for (const [name, propertySchema] of Object.entries(properties)) {
    result[name] = sampleJsonSchema(propertySchema, prng, depth + 1);
  }
  return result;
}
