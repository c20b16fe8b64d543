import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

/** A file served by the dashboard, read once at start. */
interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.json': 'application/json',
};

/**
 * The page is public (every datum comes from admin endpoints that need the key), but it handles the
 * admin key, so it allows no script, style or connection from elsewhere and cannot be framed.
 */
const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

/** Reads every file directly in `directory` whose type is known (no subdirectories). */
export function loadStaticFiles(directory: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const contentType = contentTypes[extname(entry.name)];
    if (!entry.isFile() || contentType === undefined) continue;
    const body = readFileSync(join(directory, entry.name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(entry.name, { body, contentType, etag });
  }
  return files;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/**
 * Serves `mount` (the page) and `mount/<name>` (a file of `files`) with content type, ETag and
 * `cache-control: no-cache` (revalidate each time: the 304 is cheap and an upgrade shows at once).
 * Names are looked up in the map of files read at start, so no path can reach anything else.
 */
export function createStaticHandler(mount: string, files: ReadonlyMap<string, StaticFile>, index: string) {
  return (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const path = url.pathname;
    const name =
      path === mount || path === `${mount}/`
        ? index
        : path.startsWith(`${mount}/`)
          ? path.slice(mount.length + 1)
          : undefined;
    const file = name === undefined ? undefined : files.get(name);
    if (file === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...securityHeaders })
        .end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return;
    }
    const headers = { etag: file.etag, 'cache-control': 'no-cache', ...securityHeaders };
    if (etagMatches(req.headers['if-none-match'], file.etag)) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': file.contentType, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  };
}
