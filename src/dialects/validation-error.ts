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

type Issue = z.core.$ZodIssue;

function isRootTypeMismatch(branch: readonly Issue[]): boolean {
  const first = branch[0];
  return branch.length === 1 && first?.code === 'invalid_type' && first.path.length === 0;
}

/**
 * The issue a client should read: for a union whose input had the right shape for one branch but
 * failed deeper inside it, that deeper issue (with its full path); otherwise the issue itself. A
 * branch that failed at a field inside the input (`tool_choice.function.name`) is preferred to one
 * that refused the input as a whole (the enum branch of `tool_choice`).
 */
function innermostIssue(issue: Issue, path: readonly PropertyKey[]): { issue: Issue; path: PropertyKey[] } {
  const full = [...path, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, path: full };
  const deeper =
    issue.errors.find((branch) => (branch[0]?.path.length ?? 0) > 0) ??
    issue.errors.find((branch) => !isRootTypeMismatch(branch));
  const inner = deeper?.[0];
  return inner === undefined ? { issue, path: full } : innermostIssue(inner, full);
}

function describeIssue(issue: Issue): string {
  if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.errors.every(isRootTypeMismatch)) {
    // A union of plain types reads better as "expected string or array" than zod's "Invalid input".
    const expected = new Set(
      issue.errors.map((branch) => (branch[0] as z.core.$ZodIssueInvalidType).expected),
    );
    return `expected ${[...expected].join(' or ')}`;
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
  const first = error.issues[0];
  if (first === undefined) return new GatewayError('invalid request', { code: 'invalid_request' });
  const { issue, path } = innermostIssue(first, []);
  const param = formatPath(path);
  const description = describeIssue(issue);
  const message = param === '' ? description : `${param}: ${description}`;
  return new GatewayError(message, {
    code: 'invalid_request',
    param: param === '' ? undefined : param,
  });
}
