import { ConfigError } from '../config/load-config.ts';
import { StartupError } from '../core/startup-error.ts';

/**
 * Prints why a gateway (or the simulator) could not start, without a stack trace: a config's
 * problems one per line, an environment failure as one line with what to change (`hints`: what to do per
 * setting, e.g. `server.port` → `pass --port N`; default: set it). Sets exit code 1.
 */
export function reportStartFailure(error: unknown, hints: Readonly<Record<string, string>> = {}): void {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else if (error instanceof StartupError) {
    process.stderr.write(`spillway: ${error.message} (${hints[error.setting] ?? `set ${error.setting}`})\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`spillway: cannot start: ${message.split('\n')[0] ?? message}\n`);
  }
  process.exitCode = 1;
}
