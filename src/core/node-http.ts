/**
 * node:http's `createServer`, taken with `process.getBuiltinModule` instead of an ESM import.
 *
 * An ESM `import … from 'node:http'` (named or not) builds the module's whole namespace, reading
 * every export. That includes the lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters, and those
 * load Node's bundled undici (~770 KB of source). The cost is ~2.5 MB of live heap and ~12 MB of RSS
 * in every process and worker thread, for classes the gateway never uses. `getBuiltinModule` returns
 * the module object and reads nothing. Type imports from 'node:http' are erased and stay as they are.
 */
const http = process.getBuiltinModule('node:http');

export const createServer = http.createServer;

/** node:http's `ServerResponse`, for the edge's subclass (src/server/held-responses.ts). */
export const ServerResponse = http.ServerResponse;
