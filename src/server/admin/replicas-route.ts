import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireAdmin, sendAdminJson } from './admin-authorization.ts';

/** The live replicas, as the state layer's replica registry lists them. */
export interface ReplicaDirectory {
  /** Every live replica (sent as is), each with the hash of the config it runs. */
  list(): Promise<readonly { readonly configHash: string }[]>;
}

/**
 * GET /admin/replicas: the live gateway replicas (id, version, config hash, start time, address) and
 * whether their config hashes agree. Bearer `server.admin_key`, like every /admin route.
 */
export function createReplicasRoute(adminKey: () => string | undefined, registry: ReplicaDirectory) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!requireAdmin(req, res, adminKey())) return;
    const replicas = await registry.list();
    const hashes = new Set(replicas.map((replica) => replica.configHash));
    sendAdminJson(res, 200, { replicas, config_hashes_match: hashes.size <= 1 });
  };
}
