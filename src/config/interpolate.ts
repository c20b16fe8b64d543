/**
 * `${NAME}` and `${NAME:-default}` anywhere in a config file, including inside YAML flow collections
 * (`keys: [${TEAM_KEY}]`), where the braces would otherwise confuse the YAML parser.
 *
 * Two passes: `protect` swaps each reference in the raw text for a YAML-safe placeholder before
 * parsing; `interpolate` then replaces placeholders in the parsed tree, so an unset variable is
 * reported with the path of the key that used it, and values are never re-parsed as YAML syntax.
 */
export interface InterpolationProblem {
  readonly path: string;
  readonly message: string;
}

interface Reference {
  readonly name: string;
  readonly fallback: string | undefined;
}

export interface ProtectedText {
  readonly text: string;
  readonly references: readonly Reference[];
}

const referencePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const placeholderPattern = /__spillway_env_(\d+)__/g;

/** Replaces each `${...}` with a placeholder token that YAML reads as part of a plain scalar. */
export function protect(text: string): ProtectedText {
  const references: Reference[] = [];
  const replaced = text.replace(referencePattern, (_match, name: string, fallback: string | undefined) => {
    references.push({ name, fallback });
    return `__spillway_env_${references.length - 1}__`;
  });
  return { text: replaced, references };
}

/**
 * A scalar that was only a reference takes the type its value reads as (port: ${PORT} is a number).
 * Digits that a number would change (a 20-digit token, leading zeros) stay text.
 */
function typed(value: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(value) && String(Number(value)) === value) return Number(value);
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

export function interpolate(
  value: unknown,
  references: readonly Reference[],
  env: Readonly<Record<string, string | undefined>>,
  problems: InterpolationProblem[],
  path = '',
): unknown {
  if (typeof value === 'string') {
    const whole = /^__spillway_env_\d+__$/.test(value);
    const result = value.replace(placeholderPattern, (match, index: string) => {
      const reference = references[Number(index)];
      if (reference === undefined) return match;
      const found = env[reference.name];
      if (found !== undefined) return found;
      if (reference.fallback !== undefined) return reference.fallback;
      problems.push({ path: path || '(root)', message: `environment variable ${reference.name} is not set` });
      return '';
    });
    return whole ? typed(result) : result;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolate(item, references, env, problems, `${path}[${index}]`));
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] = interpolate(item, references, env, problems, path ? `${path}.${key}` : key);
    }
    return result;
  }
  return value;
}
