import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyExceptions, checkLayers, parseLayerTable } from './check-layers.ts';
import { layerExceptions } from './layer-exceptions.ts';

/**
 * `npm run lint`'s layer check: every import under src/ against the layer table of
 * docs/architecture.md, and no import cycles. Prints one line per violation and exits 1; prints the
 * exceptions that excuse nothing any more (remove them) without failing.
 */
const root = join(import.meta.dirname, '..');
const table = parseLayerTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));
const { violations, unused } = applyExceptions(checkLayers(join(root, 'src'), table), layerExceptions);
for (const exception of unused) {
  console.warn(
    `scripts/layer-exceptions.ts: unused exception, the violation is gone (remove it): ${exception.message}`,
  );
}
for (const violation of violations) console.error(violation.message);
if (violations.length > 0) {
  console.error(`layers: ${violations.length} violation(s) of docs/architecture.md "Layers"`);
  process.exitCode = 1;
}
