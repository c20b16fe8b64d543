import { z } from 'zod';
import type { InvocationFilter } from './invocation-log.ts';
import type { Simulation } from './simulation.ts';
import type { SimHttpRequest, SimHttpResponse } from './sim-http.ts';

function sendJson(http: SimHttpResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  http.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  http.end(body);
}

/** Parses `since` as ms since the epoch or an ISO 8601 time. */
function parseSince(value: string | null): number | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? 'invalid' : parsed;
}

const apiSchema = z.enum(['bedrock', 'openai', 'anthropic']).optional();

/** The simulator's own control API under /_sim (no auth: it listens on loopback by default). */
export class AdminApi {
  private readonly sim: Simulation;

  constructor(sim: Simulation) {
    this.sim = sim;
  }

  /** Serves one /_sim/... request. */
  handle(request: SimHttpRequest, http: SimHttpResponse): void {
    const path = request.rawPath.replace(/\/+$/, '');
    const method = request.method;
    if (method === 'GET' && path === '/_sim/health') {
      sendJson(http, 200, { status: 'ok' });
      return;
    }
    if (method === 'GET' && path === '/_sim/world') {
      sendJson(http, 200, this.sim.index.world);
      return;
    }
    if (method === 'POST' && path === '/_sim/reset') {
      this.sim.reset();
      sendJson(http, 200, { reset: true });
      return;
    }
    if (method === 'GET' && path === '/_sim/invocations') {
      const since = parseSince(request.query.get('since'));
      const api = apiSchema.safeParse(request.query.get('api') ?? undefined);
      if (since === 'invalid' || !api.success) {
        sendJson(http, 400, {
          error: 'since must be ms since the epoch or ISO 8601; api one of bedrock, openai, anthropic',
        });
        return;
      }
      const filter: InvocationFilter = {
        since,
        account: request.query.get('account') ?? undefined,
        model: request.query.get('model') ?? undefined,
        region: request.query.get('region') ?? undefined,
        api: api.data,
      };
      sendJson(http, 200, { invocations: this.sim.log.list(filter) });
      return;
    }
    if (path === '/_sim/faults') {
      if (method === 'GET') {
        sendJson(http, 200, { faults: this.sim.faults.list() });
        return;
      }
      if (method === 'DELETE') {
        this.sim.faults.clear();
        sendJson(http, 200, { deleted: true });
        return;
      }
      if (method === 'POST') {
        this.addFault(request, http);
        return;
      }
    }
    if (method === 'DELETE' && path.startsWith('/_sim/faults/')) {
      const id = decodeURIComponent(path.slice('/_sim/faults/'.length));
      if (this.sim.faults.remove(id)) sendJson(http, 200, { deleted: id });
      else sendJson(http, 404, { error: `no fault "${id}"` });
      return;
    }
    sendJson(http, 404, { error: `no such simulator endpoint: ${method} ${path}` });
  }

  private addFault(request: SimHttpRequest, http: SimHttpResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      sendJson(http, 400, { error: 'body is not valid JSON' });
      return;
    }
    const specs = Array.isArray(body) ? body : [body];
    try {
      const added = specs.map((spec) => this.sim.faults.add(spec));
      sendJson(http, 201, Array.isArray(body) ? { faults: added } : added[0]);
    } catch (error) {
      if (error instanceof z.ZodError) {
        sendJson(http, 400, {
          error: 'invalid fault',
          issues: error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
        });
        return;
      }
      throw error;
    }
  }
}
