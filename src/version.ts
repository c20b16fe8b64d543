import { readFileSync } from 'node:fs';

/** The package version, read once from package.json. */
export const packageVersion: string = (() => {
  const raw: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return raw !== null && typeof raw === 'object' && 'version' in raw && typeof raw.version === 'string'
    ? raw.version
    : '0.0.0';
})();
