/** The placeholder a chat route's path may hold for the model (see DialectRoute.path). */
const placeholder = '{model}';

/** A route path split around its `{model}` segment. */
export interface PathPattern {
  /** What comes before the segment, e.g. `/model/`. */
  readonly prefix: string;
  /** What comes after it, e.g. `/converse`. */
  readonly suffix: string;
}

/** The pattern of a route path, or undefined when the path is exact (has no `{model}`). */
export function pathPattern(path: string): PathPattern | undefined {
  const at = path.indexOf(placeholder);
  if (at < 0) return undefined;
  const prefix = path.slice(0, at);
  const suffix = path.slice(at + placeholder.length);
  if (!prefix.endsWith('/') || (suffix !== '' && !suffix.startsWith('/')) || suffix.includes(placeholder))
    throw new Error(`route ${path}: {model} must be one whole path segment, once`);
  return { prefix, suffix };
}

/**
 * The decoded model segment when `path` matches the pattern, else undefined. The segment is one
 * path segment (a model id with `/` in it, such as an ARN, arrives percent-encoded, as the AWS SDKs
 * send it); a segment that is not valid percent-encoding is taken as it is.
 */
export function matchPattern(pattern: PathPattern, path: string): string | undefined {
  const { prefix, suffix } = pattern;
  if (path.length <= prefix.length + suffix.length) return undefined;
  if (!path.startsWith(prefix) || !path.endsWith(suffix)) return undefined;
  const segment = path.slice(prefix.length, path.length - suffix.length);
  if (segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
