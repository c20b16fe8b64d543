import type { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';

/** Renders a zod path the way clients write it: `messages[0].content`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // A union of plain types ("string or array") reads better than zod's "Invalid input".
    const expected = new Set<string>();
    for (const branch of issue.errors) {
      const first = branch[0];
      if (branch.length === 1 && first?.code === 'invalid_type' && first.path.length === 0) {
        expected.add(first.expected);
      } else {
        expected.clear();
        break;
      }
    }
    if (expected.size > 0) return `expected ${[...expected].join(' or ')}`;
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return `missing required parameter (expected ${issue.expected})`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

/**
 * The first zod issue as a 400 naming the parameter at fault, e.g.
 * `messages[0].content: expected string or array` with `param: "messages[0].content"`.
 */
export function validationError(error: z.ZodError): GatewayError {
  const issue = error.issues[0];
  if (issue === undefined)
    return new GatewayError('invalid request', { code: 'invalid_request', status: 400 });
  const param = formatPath(issue.path);
  const description = describeIssue(issue);
  const message = param === '' ? description : `${param}: ${description}`;
  return new GatewayError(message, {
    code: 'invalid_request',
    status: 400,
    param: param === '' ? undefined : param,
  });
}
