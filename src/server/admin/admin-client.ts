import { request } from 'undici';
import { z } from 'zod';

const errorBody = z.object({ error: z.object({ message: z.string() }) });

/** A failed admin API call: its HTTP status and the server's message. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  /** HTTP status (0: the server could not be reached). */
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** Calls the admin API of a running gateway (used by the `spillway keys` and `spillway spend` commands). */
export class AdminClient {
  private readonly baseUrl: string;
  private readonly adminKey: string | undefined;

  constructor(baseUrl: string, adminKey: string | undefined) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.adminKey = adminKey;
  }

  /** Sends one request; resolves with the JSON answer, rejects with AdminApiError on failure. */
  async call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    let response;
    try {
      response = await request(`${this.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.adminKey === undefined ? {} : { authorization: `Bearer ${this.adminKey}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new AdminApiError(`cannot reach ${this.baseUrl}: ${detail}`, 0);
    }
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    if (response.statusCode >= 400) {
      const message = errorBody.safeParse(parsed).data?.error.message ?? `HTTP ${response.statusCode}`;
      throw new AdminApiError(`${message} (HTTP ${response.statusCode})`, response.statusCode);
    }
    return parsed;
  }
}

/** Renders rows as an aligned text table with a header line. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
