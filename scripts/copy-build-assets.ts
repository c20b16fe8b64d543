// The second half of `npm run build`: tsc emits only JavaScript, so the files the compiled gateway
// reads at run time from beside its modules are copied into dist/ here (the dashboard's page,
// scripts and styles, served from dist/dashboard/static/). Usage: node scripts/copy-build-assets.ts [outDir]
import { cpSync } from 'node:fs';
import { join } from 'node:path';

/** Directories under src/ whose files the running gateway reads, copied to the same place under the out dir. */
export const runtimeAssetDirectories: readonly string[] = ['dashboard/static'];

/** Copies every runtime asset directory from `sourceRoot` (src/) to `outDir` (dist/). */
export function copyBuildAssets(sourceRoot: string, outDir: string): void {
  for (const directory of runtimeAssetDirectories)
    cpSync(join(sourceRoot, directory), join(outDir, directory), { recursive: true });
}

if (import.meta.main) copyBuildAssets('src', process.argv[2] ?? 'dist');
