import { RE2JS } from 're2js';
import type { LocalGuardrailSettings, PiiEntity } from '../../core/guardrail-settings.ts';
import type { Finding } from './finding.ts';
import { findPii, maxPiiMatch } from './pii-detector.ts';

export type { Finding } from './finding.ts';

/**
 * Finds what one guardrail looks for. `find` is linear in the text (fixed bounded patterns, or RE2
 * for configured ones); its findings are sorted and do not overlap.
 */
export interface Detector {
  find(text: string): readonly Finding[];
  /** What replaces a finding when the guardrail masks (e.g. `[EMAIL]`). */
  maskOf(entity: string): string;
}

/**
 * How many characters a stream holds back: text is released once this much came after it, so a
 * match up to this long is seen whole before any of it leaves (PII matches are bounded by it; a
 * configured pattern or word longer than it may be missed across the window's edge).
 */
export const streamWindowChars = Math.max(maxPiiMatch, 256);

/** Sorted by start; of overlapping findings the earlier (then the longer) one is kept. */
export function settle(findings: Finding[]): readonly Finding[] {
  if (findings.length < 2) return findings;
  findings.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: Finding[] = [];
  let end = -1;
  for (const finding of findings) {
    if (finding.start < end) continue;
    kept.push(finding);
    end = finding.end;
  }
  return kept;
}

class PiiDetector implements Detector {
  private readonly entities: readonly PiiEntity[];
  constructor(entities: readonly PiiEntity[]) {
    this.entities = entities;
  }
  find(text: string): readonly Finding[] {
    return settle(findPii(text, this.entities));
  }
  maskOf(entity: string): string {
    return `[${entity.toUpperCase()}]`;
  }
}

/** Configured patterns (RE2: linear time, no catastrophic backtracking) or word lists compiled to one. */
class PatternDetector implements Detector {
  private readonly patterns: readonly RE2JS[];
  private readonly entity: string;
  constructor(patterns: readonly RE2JS[], entity: string) {
    this.patterns = patterns;
    this.entity = entity;
  }
  find(text: string): readonly Finding[] {
    const findings: Finding[] = [];
    for (const pattern of this.patterns) {
      const matcher = pattern.matcher(text);
      while (matcher.find()) {
        const start = matcher.start();
        const end = matcher.end();
        if (end > start) findings.push({ start, end, entity: this.entity });
      }
    }
    return settle(findings);
  }
  maskOf(): string {
    return '[REDACTED]';
  }
}

/** A word or phrase as RE2: spaces match any run of spaces, word edges must be edges of words. */
function wordPattern(word: string): string {
  const body = word
    .split(/\s+/)
    .map((part) => RE2JS.quote(part))
    .join('\\s+');
  const before = /^\w/.test(word) ? '\\b' : '';
  const after = /\w$/.test(word) ? '\\b' : '';
  return `${before}${body}${after}`;
}

/** The detector of a guardrail (everything is compiled here, once per configuration). */
export function detectorOf(config: LocalGuardrailSettings): Detector {
  switch (config.type) {
    case 'pii':
      return new PiiDetector(config.entities);
    case 'regex':
      return new PatternDetector(
        config.patterns.map((pattern) => RE2JS.compile(pattern)),
        'pattern',
      );
    case 'words': {
      // One alternation, whole words, case-insensitive: a word list costs one linear scan.
      const alternation = config.words.map(wordPattern).join('|');
      return new PatternDetector([RE2JS.compile(`(?:${alternation})`, RE2JS.CASE_INSENSITIVE)], 'word');
    }
  }
}

/** `text` with each finding replaced by the detector's mask. */
export function maskText(text: string, findings: readonly Finding[], detector: Detector): string {
  let out = '';
  let at = 0;
  for (const finding of findings) {
    out += text.slice(at, finding.start) + detector.maskOf(finding.entity);
    at = finding.end;
  }
  return out + text.slice(at);
}
