import { z } from 'zod';

/** The parts of `spillway report --json` (src/telemetry/report.ts Report) the tests compare. */
const rowSchema = z.looseObject({
  key: z.string(),
  count: z.number(),
  success: z.number(),
  failed: z.number(),
});
export const reportJsonSchema = z.looseObject({
  total: z.number(),
  success: z.number(),
  failed: z.number(),
  attempts: z.number(),
  fallbacks: z.number(),
  byRegion: z.array(rowSchema),
  byAccount: z.array(rowSchema),
  byDeployment: z.array(rowSchema),
  byGroup: z.array(rowSchema),
});
export type ReportJson = z.infer<typeof reportJsonSchema>;
type Row = z.infer<typeof rowSchema>;

/** A distribution as key → count, sorted by key (comparable with `tally`). */
export function countsOf(rows: readonly Row[]): Record<string, number> {
  return Object.fromEntries(
    rows.map((row) => [row.key, row.count] as const).sort(([a], [b]) => a.localeCompare(b)),
  );
}

/**
 * The table of the text report whose first header cell is `title` (e.g. "Region", "Account",
 * "Deployment"), as key → the number in column `column` (the request count by default).
 * Throws when the report has no such table.
 */
export function tableCounts(text: string, title: string, column = 1): Record<string, number> {
  const table = text
    .split('\n\n')
    .map((section) => section.trim().split('\n'))
    .find((lines) => cellsOf(lines[0] ?? '')[0] === title);
  if (table === undefined) throw new Error(`no "${title}" table in the report:\n${text}`);
  const counts: [string, number][] = table.slice(2).map((line) => {
    const cells = cellsOf(line);
    return [cells[0] ?? '', Number(cells[column])];
  });
  return Object.fromEntries(counts.sort(([a], [b]) => a.localeCompare(b)));
}

function cellsOf(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());
}
