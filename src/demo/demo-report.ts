/** What every scenario returns, besides its own figures. */
export interface ScenarioOutcome {
  /** The scenario's name (cris, accounts, fallback, loadbalance, quota). */
  readonly scenario: string;
  /** Whether every expected figure was met. */
  readonly ok: boolean;
  /** One line per figure that was not as expected (empty when ok). */
  readonly problems: readonly string[];
}

/** Collects mismatches between what a scenario expected and what it saw. */
export class Expectations {
  readonly problems: string[] = [];

  /** Records a problem unless `actual` equals `expected`. */
  equal(what: string, actual: number | string, expected: number | string): void {
    if (actual !== expected) this.problems.push(`${what}: ${actual}, expected ${expected}`);
  }

  /** Records `message` unless `condition` holds. */
  check(condition: boolean, message: string): void {
    if (!condition) this.problems.push(message);
  }

  /** Whether nothing was recorded. */
  get ok(): boolean {
    return this.problems.length === 0;
  }
}

/** A whole percentage, e.g. 0.7 → "70%". */
export function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 100)}%`;
}

/** A Markdown table (the shape of docs and of scenarios.md). */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |\n`;
  return line(headers) + line(headers.map(() => '---')) + rows.map(line).join('');
}

/** The verdict line printed after a scenario's tables. */
export function renderVerdict(outcome: ScenarioOutcome): string {
  if (outcome.ok) return `Result: as expected (${outcome.scenario})\n`;
  return `Result: NOT as expected (${outcome.scenario})\n${outcome.problems.map((p) => `  - ${p}\n`).join('')}`;
}
