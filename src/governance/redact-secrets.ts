const redacted = '[REDACTED]';

const secretFieldName =
  /^(authorization|proxy-authorization|x-api-key|api[-_]?key|password|passwd|secret|client[-_]?secret|token|access[-_]?token|refresh[-_]?token|session[-_]?token|aws[-_]?secret[-_]?access[-_]?key|secret[-_]?access[-_]?key|aws[-_]?session[-_]?token|admin[-_]?key)$/i;

const secretPatterns: readonly RegExp[] = [
  // OpenAI, Anthropic (sk-ant-...), Spillway (sk-spw-...) and look-alike keys.
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  // Bearer tokens in headers or text.
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  // AWS access key ids (long-term AKIA, temporary ASIA).
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
];

/** AWS secret access keys written next to their name (the name is kept). */
const awsSecretPattern = /((?:aws_?)?secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}/gi;

/** Replaces secrets inside a string. */
export function redactString(text: string): string {
  let out = text;
  for (const pattern of secretPatterns) {
    out = out.replace(pattern, redacted);
  }
  return out.replace(awsSecretPattern, `$1${redacted}`);
}

/**
 * A deep copy of `value` with secrets removed: fields named like credentials are replaced whole,
 * and key-like strings (sk-..., Bearer ..., AWS key ids and secrets) anywhere in text are masked.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 64) return redacted;
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((item: unknown) => redactSecrets(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value)) {
      out[name] = secretFieldName.test(name) ? redacted : redactSecrets(field, depth + 1);
    }
    return out;
  }
  return value;
}
