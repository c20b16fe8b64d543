import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReplicaRegistry } from './state/replica-registry.ts';

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * GET /admin/replicas: the live gateway replicas (id, version, config hash, start time, address) and
 * whether their config hashes agree. Bearer `server.admin_key`, compared in constant time.
 */
export function createReplicasRoute(adminKey: () => string | undefined, registry: ReplicaRegistry) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const key = adminKey();
    if (key === undefined) {
      send(res, 404, { error: { message: 'the admin API is off (no server.admin_key)', type: 'not_found' } });
      return;
    }
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (presented === '' || !timingSafeEqual(sha256(presented), sha256(key))) {
      send(res, 401, { error: { message: 'a valid admin key is required', type: 'authentication_error' } });
      return;
    }
    const replicas = await registry.list();
    const hashes = new Set(replicas.map((replica) => replica.configHash));
    send(res, 200, { replicas, config_hashes_match: hashes.size <= 1 });
  };
}
