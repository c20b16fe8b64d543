import { InvalidArgumentError, type Command } from 'commander';
import { pino } from 'pino';
import { loadSimWorld, SimWorldError } from '../simulator/sim-world.ts';
import { startSimulator } from '../simulator/start-simulator.ts';

interface SimCommandOptions {
  readonly port: number;
  readonly host: string;
  readonly world?: string;
  readonly seed: number;
  readonly latencyScale?: number;
}

function parseNumber(kind: 'port' | 'integer' | 'scale') {
  return (value: string): number => {
    const parsed = Number(value);
    const ok =
      kind === 'scale'
        ? Number.isFinite(parsed) && parsed >= 0
        : Number.isInteger(parsed) && parsed >= 0 && (kind !== 'port' || parsed <= 65535);
    if (!ok) throw new InvalidArgumentError(`not a valid ${kind}: ${value}`);
    return parsed;
  };
}

/** `spillway sim`: runs the provider simulator (Bedrock, OpenAI, Anthropic) until interrupted. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'run the provider simulator: Bedrock Runtime, OpenAI and Anthropic APIs on one port (HTTP/1.1 and h2c)',
    )
    .option('--port <port>', 'port to listen on (0 picks a free port)', parseNumber('port'), 9100)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--world <file>', 'YAML world file (default: the built-in world)')
    .option('--seed <n>', 'seed of every random choice, so runs replay', parseNumber('integer'), 1)
    .option(
      '--latency-scale <x>',
      "multiplies simulated latency (0 = instant; default: the world's)",
      parseNumber('scale'),
    )
    .action(async (options: SimCommandOptions) => {
      const logger = pino({ name: 'spillway-sim' });
      let world;
      try {
        world = options.world === undefined ? undefined : await loadSimWorld(options.world);
      } catch (error) {
        if (
          error instanceof SimWorldError ||
          (error instanceof Error && 'code' in error && error.code === 'ENOENT')
        ) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
      const simulator = await startSimulator({
        host: options.host,
        port: options.port,
        seed: options.seed,
        logger,
        ...(world === undefined ? {} : { world }),
        ...(options.latencyScale === undefined ? {} : { latencyScale: options.latencyScale }),
      });
      logger.info({ url: simulator.url, world: options.world ?? 'built-in' }, 'spillway sim ready');
      const stop = (signal: string): void => {
        logger.info({ signal }, 'spillway sim stopping');
        simulator.close().then(
          () => {
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'close failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
