import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The machine's own Node when it is older than 24 (the case `bin/spillway.js` and `npm run setup` handle), else undefined. */
export function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate) || candidate === process.execPath) continue;
    const major = Number(execFileSync(candidate, ['-p', 'process.versions.node.split(".")[0]']).toString());
    if (major < 24) return candidate;
  }
  return undefined;
}
