import type { ChatRequest } from '../../core/chat-request.ts';

/**
 * The transparent complexity score of a chat request, 0 (a one-line lookup) to 1 (a long,
 * constrained, multi-step task). A logistic over a few features anyone can recompute from the
 * request; the features are returned with the score (they go in the trace). Fast: one pass over
 * at most `scannedCharacters` of the last user turn and the system prompt, with fixed patterns.
 * docs/configuration.md "Router groups" has the features and how well the score separates the
 * labelled prompts in bench/complexity/.
 */
export interface ComplexityFeatures {
  /** Estimated tokens of the whole prompt. */
  readonly promptTokens: number;
  /** Words in the last user turn. */
  readonly words: number;
  /** Code: fenced blocks and code-looking lines in the last user turn. */
  readonly code: number;
  /** Math: formulas, operators between numbers, math vocabulary. */
  readonly math: number;
  /** Steps: numbered or bulleted items and sequencing words. */
  readonly steps: number;
  /** Constraints: must, at least, exactly, without, format requirements... */
  readonly constraints: number;
  /** Analysis verbs: explain why, compare, design, prove, trade-offs... */
  readonly analysis: number;
  /** Questions asked in the last user turn. */
  readonly questions: number;
  /** Tools offered, a JSON answer asked for, earlier turns. */
  readonly tools: number;
  readonly json: boolean;
  readonly turns: number;
}

export interface ComplexityScore {
  readonly score: number;
  readonly features: ComplexityFeatures;
}

/** Text scanned at most (the features saturate long before). */
const scannedCharacters = 32_768;

// Fixed patterns without nested or overlapping quantifiers: each scan is linear in the text.
const codeLine =
  /^[ \t]*(?:def |class |function |const |let |var |import |from \S+ import|return |#include|public |private |select |insert |update |create table|for ?\(|if ?\(|while ?\(|}|\$ )|[;{][ \t]*$|=>|::/gim;
const fence = /```/g;
const mathPattern =
  /\\(?:frac|sum|int|sqrt|lim|cdot)|[∑∫√≤≥≠∞π]|\d\s*[-+*/^=]\s*\d|\b(?:prove|derive|integral|derivative|equation|theorem|probability|matrix|eigen\w*|polynomial|optimi[sz]e|asymptotic|complexity of|big-?o)\b/gi;
const stepPattern =
  /^\s*(?:\d+[.)]|[-*•]|step \d+)\s+|\b(?:first|second|third|then|next|after that|finally|afterwards)\b/gim;
const constraintPattern =
  /\b(?:must|should|shall|at least|at most|exactly|no more than|no less than|without|only|do not|don't|never|always|ensure|make sure|required?|include|format|limit(?:ed)? to|within \d+)\b/gi;
const analysisPattern =
  /\b(?:why|explain|analy[sz]e|compare|contrast|evaluate|assess|critique|design|architect\w*|trade-?offs?|pros and cons|justify|reason about|implications?|strateg\w+|plan|refactor|debug|implement|review|prove|step by step)\b/gi;

function countMatches(pattern: RegExp, text: string): number {
  pattern.lastIndex = 0;
  let count = 0;
  while (pattern.exec(text) !== null) count += 1;
  return count;
}

function lastUserText(request: ChatRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    const message = request.messages[index];
    if (message?.role !== 'user') continue;
    let text = '';
    for (const part of message.content) {
      if (part.type === 'text') text += (text === '' ? '' : '\n') + part.text;
      else if (part.type === 'tool_result') text += (text === '' ? '' : '\n') + part.content;
      if (text.length >= scannedCharacters) break;
    }
    return text.slice(0, scannedCharacters);
  }
  return '';
}

/** Feature extraction only (linear in the scanned text). */
export function complexityFeatures(request: ChatRequest, promptTokens: number): ComplexityFeatures {
  const text = lastUserText(request);
  const system = (request.system ?? '').slice(0, scannedCharacters);
  const both = system === '' ? text : `${system}\n${text}`;
  const words = text.length === 0 ? 0 : text.split(/\s+/).filter((word) => word !== '').length;
  return {
    promptTokens,
    words,
    code: countMatches(fence, text) / 2 + countMatches(codeLine, text),
    math: countMatches(mathPattern, text),
    steps: countMatches(stepPattern, text),
    constraints: countMatches(constraintPattern, both),
    analysis: countMatches(analysisPattern, text),
    questions: countMatches(/\?/g, text),
    tools: request.tools?.length ?? 0,
    json: request.responseFormat !== undefined && request.responseFormat.type !== 'text',
    turns: request.messages.length,
  };
}

/** Saturating transform: 0 at 0, about 0.63 at `scale`, towards 1 beyond. */
const saturate = (value: number, scale: number): number => 1 - Math.exp(-value / scale);

/**
 * The weights of the logistic. The text features' weights were fitted by logistic regression on the
 * even lines of the labelled set (bench/complexity/labelled-prompts.jsonl) and are reported on its odd
 * lines (`node bench/complexity-separation.ts --fit`; docs/configuration.md has the table). Tools, a
 * JSON answer and earlier turns do not occur in that set: their weights are set by hand.
 */
export const complexityWeights = {
  bias: -1.5,
  length: 3.9,
  code: 0,
  math: 2,
  steps: 0.8,
  constraints: 1.6,
  analysis: 5.2,
  questions: -2.9,
  tools: 0.6,
  json: 0.4,
  turns: 0.5,
} as const;

/** The logistic's inputs: each feature saturated to 0..1 (the weights multiply these). */
export function complexityInputs(
  f: ComplexityFeatures,
): Record<Exclude<keyof typeof complexityWeights, 'bias'>, number> {
  return {
    length: saturate(f.words, 120),
    code: saturate(f.code, 3),
    math: saturate(f.math, 2),
    steps: saturate(f.steps, 3),
    constraints: saturate(f.constraints, 3),
    analysis: saturate(f.analysis, 2),
    questions: saturate(f.questions, 2),
    tools: saturate(f.tools, 2),
    json: f.json ? 1 : 0,
    turns: saturate(Math.max(0, f.turns - 1), 4),
  };
}

/** The score of features under `weights` (the shipped ones unless a calibration passes others). */
export function scoreOf(
  f: ComplexityFeatures,
  weights: Readonly<Record<keyof typeof complexityWeights, number>> = complexityWeights,
): number {
  const inputs = complexityInputs(f);
  let z = weights.bias;
  for (const [name, value] of Object.entries(inputs)) z += weights[name as keyof typeof inputs] * value;
  return Math.round((1 / (1 + Math.exp(-z))) * 1000) / 1000;
}

export function scoreComplexity(request: ChatRequest, promptTokens: number): ComplexityScore {
  const features = complexityFeatures(request, promptTokens);
  return { score: scoreOf(features), features };
}
