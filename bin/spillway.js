#!/usr/bin/env node
// The spillway command. Node 24 runs the TypeScript sources directly (type stripping), so the
// checkout needs no build step; `npm run build` emits dist/ for packaging.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `spillway needs Node.js 24 or newer (this is ${process.version}).\n` +
      'Run it through scripts/with-node24.sh (npm start does), or install Node 24.\n',
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
