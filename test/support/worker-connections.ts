import { Agent, request } from 'node:http';
import { connect } from 'node:net';

/** One HTTP response: status, headers and body text. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** A request on `agent` (false: a connection of its own). */
export function send(
  url: string,
  path: string,
  agent: Agent | false,
  body?: unknown,
  headers: Readonly<Record<string, string>> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, url),
      {
        method: payload === undefined ? 'GET' : 'POST',
        agent,
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Which worker thread answered GET /version (server.workers > 1). */
export async function workerOf(url: string, agent: Agent | false): Promise<number> {
  const answer = await send(url, '/version', agent);
  return (JSON.parse(answer.body) as { worker: number }).worker;
}

/**
 * Kept-alive connections pinned to known workers: new connections are opened (the kernel picks the
 * worker of each) until every one of `workers` workers holds `perWorker` of them. A request sent on
 * a pinned agent is served by that worker.
 */
export async function pinnedConnections(
  url: string,
  workers: number,
  perWorker: number,
  maxConnections = 400,
): Promise<{ byWorker: Map<number, Agent[]>; close: () => void }> {
  const byWorker = new Map<number, Agent[]>();
  const extra: Agent[] = [];
  for (let opened = 0; opened < maxConnections; opened += 1) {
    const full = [...Array(workers).keys()].every((index) => (byWorker.get(index)?.length ?? 0) >= perWorker);
    if (full) break;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const worker = await workerOf(url, agent);
    const list = byWorker.get(worker) ?? [];
    if (list.length < perWorker) {
      list.push(agent);
      byWorker.set(worker, list);
    } else {
      extra.push(agent);
    }
  }
  for (const agent of extra) agent.destroy();
  return {
    byWorker,
    close: () => {
      for (const list of byWorker.values()) for (const agent of list) agent.destroy();
    },
  };
}

/** The sum of a metric's samples in a Prometheus text exposition. */
export function metricSum(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

/** Whether a new connection to 127.0.0.1:`port` is refused (nothing listens there any more). */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(true);
    });
  });
}
