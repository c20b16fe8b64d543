const units: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Parses "90s", "15m", "24h", "30d", "2w", "500ms" into milliseconds; undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = units[(match[2] ?? '').toLowerCase()];
  if (unit === undefined || !Number.isFinite(amount) || amount <= 0) return undefined;
  return Math.round(amount * unit);
}
