import type { RedisClient } from './redis-connection.ts';
import { RedisScript } from './redis-script.ts';

/**
 * The state store's script calls, batched: every call made in one turn of the event loop (until
 * the next `setImmediate`) goes to Redis as one EVALSHA of a script that runs each call's own
 * script in the order the calls were made, each inside `pcall`, and answers each call separately.
 * Under load the calls of many requests (one's admission, another's settlement: token
 * reconciliation, lease release, breaker count) share one round trip and one script invocation,
 * instead of one each; at rest a call waits only for the rest of its turn.
 *
 * What does not change: each call is still atomic (the whole batch is, which is stronger), calls run
 * in the order they were made, and a call's reply and error are its own (one call's Lua error fails
 * that call, not its batch). A failed batch (connection lost, timeout) fails every call in it, as
 * the calls would have failed one by one. Every key carries the store's hash tag, so a batch stays
 * in one Redis Cluster slot.
 */

/** One call's script, as a Lua function of (KEYS, ARGV) inside the batch script. */
function wrap(source: string): string {
  return `function(KEYS, ARGV)\n${source}\nend`;
}

/**
 * The batch script over `sources` (index i + 1 in Lua is sources[i]). KEYS: every call's keys in
 * order. ARGV[1]: the calls as one JSON array, each `[script index, key count, [arguments...]]`
 * with every argument a string (encodeCalls), decoded by Redis's built-in cjson into the very
 * tables the calls' scripts get as ARGV. Returns one {1, reply} or {0, error message} per call. A
 * call's script may call `batchTime()`: the server's TIME in milliseconds, read once per batch (the
 * batch runs atomically, so every call in it is at one instant; one TIME instead of one per call).
 *
 * Why one JSON argument instead of one Redis argument per script argument (decision 0032): a
 * request's admission and settlement carry about 60 arguments. As separate arguments each costs the
 * client a number-to-string conversion, a length and four string concatenations in the RESP
 * encoder, and the server one Redis string and a copy into a Lua table; as JSON the client makes one
 * native `JSON.stringify` per batch and the server one native `cjson.decode`. Keys stay separate
 * Redis arguments: a script must declare the keys it touches (Redis Cluster routes on them).
 */
export function batchScriptSource(sources: readonly string[]): string {
  return `
local serverTime = nil
local function batchTime()
  if serverTime == nil then
    local t = redis.call('TIME')
    serverTime = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  end
  return serverTime
end
local scripts = {
${sources.map(wrap).join(',\n')}
}
local calls = cjson.decode(ARGV[1])
local keyAt = 0
local results = {}
for call = 1, #calls do
  local entry = calls[call]
  local script = scripts[entry[1]]
  local keyCount = entry[2]
  local keys = {}
  for k = 1, keyCount do keys[k] = KEYS[keyAt + k] end
  keyAt = keyAt + keyCount
  local ok, reply = pcall(script, keys, entry[3])
  if ok then
    results[call] = {1, reply}
  else
    if type(reply) == 'table' then reply = reply.err or reply.message end
    results[call] = {0, tostring(reply)}
  end
end
return results
`;
}

interface PendingCall {
  readonly script: number;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
  resolve(reply: unknown): void;
  reject(error: Error): void;
}

/**
 * The batch's ARGV[1]: `[[script, keyCount, [args as strings]], ...]` as JSON. A number becomes the
 * string ioredis would have sent (`String(n)`), so a script sees exactly the text it saw as a
 * separate argument. A string with a lone UTF-16 surrogate is made well-formed first (U+FFFD, as
 * the UTF-8 encoding of a separate argument would), since cjson rejects an unpaired \u escape.
 */
export function encodeCalls(calls: readonly Pick<PendingCall, 'script' | 'keys' | 'args'>[]): string {
  const entries = new Array<[number, number, string[]]>(calls.length);
  for (let index = 0; index < calls.length; index++) {
    const call = calls[index] as (typeof calls)[number];
    const args = new Array<string>(call.args.length);
    for (let position = 0; position < call.args.length; position++) {
      const arg = call.args[position];
      args[position] =
        typeof arg === 'string' ? (arg.isWellFormed() ? arg : arg.toWellFormed()) : String(arg);
    }
    entries[index] = [call.script, call.keys.length, args];
  }
  return JSON.stringify(entries);
}

/** At most this many calls (or arguments and keys) in one EVALSHA; more go in the next, in order. */
const maxCallsPerBatch = 512;
const maxItemsPerBatch = 20_000;

export class RedisBatcher {
  private readonly client: RedisClient;
  private readonly script: RedisScript;
  private readonly index = new Map<string, number>();
  private pending: PendingCall[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /** `scripts`: each call's script source by name (the names `run` takes). */
  constructor(client: RedisClient, scripts: Readonly<Record<string, string>>) {
    this.client = client;
    const names = Object.keys(scripts);
    names.forEach((name, position) => this.index.set(name, position + 1));
    this.script = new RedisScript(batchScriptSource(names.map((name) => scripts[name] ?? '')));
  }

  /** Runs script `name` with these keys and arguments in the next batch; resolves to its reply. */
  run(name: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const script = this.index.get(name);
    if (script === undefined) return Promise.reject(new Error(`no batched script named ${name}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ script, keys, args, resolve, reject });
      this.scheduled ??= setImmediate(() => {
        this.flush();
      });
    });
  }

  /** Sends what is pending now (close() calls it so that nothing waits for a turn that never comes). */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const calls = this.pending;
    this.pending = [];
    for (let start = 0; start < calls.length;) {
      let end = start;
      let items = 0;
      while (end < calls.length && end - start < maxCallsPerBatch) {
        const call = calls[end] as PendingCall;
        const size = call.keys.length + call.args.length + 3;
        if (end > start && items + size > maxItemsPerBatch) break;
        items += size;
        end += 1;
      }
      this.send(calls.slice(start, end));
      start = end;
    }
  }

  private send(calls: readonly PendingCall[]): void {
    const keys: string[] = [];
    for (const call of calls) for (const key of call.keys) keys.push(key);
    this.script.run(this.client, keys, [encodeCalls(calls)]).then(
      (reply) => {
        const replies = Array.isArray(reply) ? (reply as unknown[]) : [];
        calls.forEach((call, position) => {
          const answer = replies[position];
          if (!Array.isArray(answer) || (answer[0] !== 1 && answer[0] !== 0)) {
            call.reject(new Error('malformed batch reply'));
          } else if (answer[0] === 1) {
            call.resolve(answer.length > 1 ? answer[1] : null);
          } else {
            call.reject(new Error(String(answer[1])));
          }
        });
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const call of calls) call.reject(failure);
      },
    );
  }
}
