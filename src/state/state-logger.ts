/** The slice of a logger the state layer uses; a pino logger satisfies it. */
export interface StateLogger {
  /** A state change worth knowing about (Redis back, replicas joined). */
  info(fields: Record<string, unknown>, message: string): void;
  /** Something degraded or inconsistent (Redis away, config hashes differ). */
  warn(fields: Record<string, unknown>, message: string): void;
  /** A failure no caller sees (a subscriber that threw). */
  error(fields: Record<string, unknown>, message: string): void;
}

/** Drops everything: the default when no logger is given. */
export const silentStateLogger: StateLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
