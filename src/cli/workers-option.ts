import { availableParallelism } from 'node:os';
import type { SpillwayConfig } from '../config/schema.ts';
import { StartupError } from '../core/startup-error.ts';

/** `--workers N` of `serve` and `up`: the worker threads (server.workers), checked. */
export const workersOptionHelp =
  'worker threads on the port, limits exact across them (default: server.workers, else every core; 1: one thread)';

/**
 * How many workers the command starts: `--workers`, then `server.workers`, then the cores available
 * (os.availableParallelism()). Throws a StartupError for a value that is not a whole number >= 1.
 */
export function resolveWorkers(option: string | undefined, config: SpillwayConfig): number {
  if (option === undefined) return config.server.workers ?? availableParallelism();
  const count = Number(option);
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new StartupError('--workers', `--workers must be a whole number from 1 to 256, got "${option}"`);
  }
  return count;
}
