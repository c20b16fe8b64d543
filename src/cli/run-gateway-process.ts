import { watchFile } from 'node:fs';
import { ConfigError, loadConfigFile } from '../config/load-config.ts';
import type { RunningGateway } from '../main.ts';

/** How often the config file's status is polled for changes. */
const configPollIntervalMs = 500;

/**
 * Process-level behaviour of a running gateway: reload the config on SIGHUP and when its file
 * changes (a bad new config is rejected with its problems and the old one keeps serving), and a
 * graceful stop on SIGTERM / SIGINT.
 */
export function superviseGateway(
  gateway: RunningGateway,
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  onStop: () => Promise<void> = () => Promise.resolve(),
): void {
  const { logger } = gateway;
  let reloading = Promise.resolve();
  const reload = (reason: string): void => {
    if (configPath === undefined) return;
    reloading = reloading.then(async () => {
      try {
        const next = await loadConfigFile(configPath, env);
        await gateway.reload(next, reason);
      } catch (error) {
        const problems = error instanceof ConfigError ? error.problems : undefined;
        const why = problems?.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
        logger.error(
          { reason, problems, err: problems === undefined ? error : undefined },
          `configuration rejected${why === undefined ? '' : ` (${why})`}; the previous configuration keeps serving`,
        );
      }
    });
  };
  process.on('SIGHUP', () => {
    reload('sighup');
  });
  if (configPath !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    // Polls the path's status rather than fs.watch on the file: editors (vim, sed -i), config
    // management and Kubernetes ConfigMaps replace the file by a rename, after which an fs.watch
    // follows the old, deleted inode and never fires again. Polling by path sees every
    // replacement, symlink swaps included.
    const watcher = watchFile(configPath, { interval: configPollIntervalMs }, (current) => {
      if (current.mtimeMs === 0 && current.ino === 0) return; // between unlink and rename
      clearTimeout(timer);
      // Editors write files in several steps: wait for the writes to settle.
      timer = setTimeout(() => {
        reload('file-changed');
      }, 200);
    });
    watcher.unref();
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    gateway
      .close()
      .then(onStop)
      .then(
        () => {
          logger.info('stopped');
          logger.flush();
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          logger.flush();
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
}
