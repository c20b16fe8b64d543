/**
 * A gateway that cannot start because of its environment rather than its file's shape: a port
 * already in use, a database that does not answer. The command line prints it as one line (no
 * stack trace) with what to change.
 */
export class StartupError extends Error {
  /** The config path or what to change, e.g. `server.port` or `database.url`. */
  readonly setting: string;

  constructor(setting: string, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
    this.setting = setting;
  }
}

/** The `code` of a Node system error (`EADDRINUSE`, `ECONNREFUSED`), if it has one. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Why a listener could not bind `host:port`, as one sentence naming the address. */
export function listenFailure(error: unknown, host: string, port: number): string {
  const code = systemErrorCode(error);
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE') return `port ${port} is already in use (${address}; another spillway?)`;
  if (code === 'EACCES') return `no permission to listen on ${address}`;
  if (code === 'EADDRNOTAVAIL') return `${host} is not an address of this machine`;
  return `cannot listen on ${address}: ${error instanceof Error ? error.message : String(error)}`;
}
