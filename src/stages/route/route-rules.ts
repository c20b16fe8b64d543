import { RE2JS } from 're2js';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { ComplexityScore } from './complexity.ts';

/** The conditions of a rule as the config gives them (plain values; `route-schema.ts` validates them). */
export interface RuleConditions {
  readonly tenants?: readonly string[] | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly prompt_tokens_over?: number | undefined;
  readonly prompt_tokens_at_most?: number | undefined;
  readonly tools?: boolean | undefined;
  readonly images?: boolean | undefined;
  readonly json?: boolean | undefined;
  readonly last_user_matches?: string | undefined;
  readonly complexity_at_least?: number | undefined;
  readonly complexity_below?: number | undefined;
}

export type RuleSettings =
  | { readonly name?: string | undefined; readonly when: RuleConditions; readonly to: string }
  | { readonly default: string };

/** What a rule reads of a request, each part computed at most once and only when a rule asks. */
export interface RouteInput {
  readonly request: ChatRequest;
  readonly tenant: string;
  /** The request's tags (`x-spillway-tags`) and its tenant's (`tenants.<t>.tags`). */
  readonly tags: ReadonlySet<string>;
  promptTokens(): number;
  complexity(): ComplexityScore;
}

export interface CompiledRule {
  /** `rule-<n>` (1-based), the rule's `name`, or `default`. */
  readonly label: string;
  readonly to: string;
  /** Whether the rule reads the complexity score (a classifier is asked before it, if configured). */
  readonly scores: boolean;
  matches(input: RouteInput): boolean;
}

/** Characters of the last user turn a `last_user_matches` pattern reads at most. */
const matchedCharacters = 16_384;

function lastUserText(request: ChatRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    const message = request.messages[index];
    if (message?.role !== 'user') continue;
    let text = '';
    for (const part of message.content) {
      if (part.type === 'text') text += part.text;
      if (text.length >= matchedCharacters) break;
    }
    return text.slice(0, matchedCharacters);
  }
  return '';
}

/**
 * Compiles a pattern with RE2 semantics (linear time in the text, whatever the pattern: no
 * catastrophic backtracking). Throws with RE2's message when the pattern is not valid RE2.
 */
export function compilePattern(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

function conditionTests(when: RuleConditions): ((input: RouteInput) => boolean)[] {
  const tests: ((input: RouteInput) => boolean)[] = [];
  const { tenants, tags } = when;
  if (tenants !== undefined) tests.push((input) => tenants.includes(input.tenant));
  if (tags !== undefined) tests.push((input) => tags.some((tag) => input.tags.has(tag)));
  const over = when.prompt_tokens_over;
  if (over !== undefined) tests.push((input) => input.promptTokens() > over);
  const atMost = when.prompt_tokens_at_most;
  if (atMost !== undefined) tests.push((input) => input.promptTokens() <= atMost);
  const tools = when.tools;
  if (tools !== undefined) tests.push((input) => (input.request.tools?.length ?? 0) > 0 === tools);
  const images = when.images;
  if (images !== undefined) {
    tests.push(
      (input) =>
        input.request.messages.some((message) => message.content.some((part) => part.type === 'image')) ===
        images,
    );
  }
  const json = when.json;
  if (json !== undefined) {
    tests.push((input) => {
      const format = input.request.responseFormat;
      return (format !== undefined && format.type !== 'text') === json;
    });
  }
  if (when.last_user_matches !== undefined) {
    const pattern = compilePattern(when.last_user_matches);
    tests.push((input) => pattern.matcher(lastUserText(input.request)).find());
  }
  const least = when.complexity_at_least;
  if (least !== undefined) tests.push((input) => input.complexity().score >= least);
  const below = when.complexity_below;
  if (below !== undefined) tests.push((input) => input.complexity().score < below);
  return tests;
}

/** Compiles a router group's rules (patterns compiled once). */
export function compileRules(rules: readonly RuleSettings[]): CompiledRule[] {
  return rules.map((rule, index): CompiledRule => {
    if ('default' in rule) return { label: 'default', to: rule.default, scores: false, matches: () => true };
    const tests = conditionTests(rule.when);
    return {
      label: rule.name ?? `rule-${index + 1}`,
      to: rule.to,
      scores: rule.when.complexity_at_least !== undefined || rule.when.complexity_below !== undefined,
      matches: (input) => tests.every((test) => test(input)),
    };
  });
}
