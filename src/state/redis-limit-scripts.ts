/**
 * The rate-limit and concurrency scripts of RedisStateStore (reserve, adjust, settle, release) and
 * the Lua they share with the admission (redis-scripts.ts). The arithmetic mirrors MemoryStateStore
 * line for line (the contract suite holds both to the same results).
 *
 * Every script takes `now` (milliseconds since the epoch) as ARGV[1]; a negative value means "use
 * the Redis server's TIME" (`batchTime()`, read once per batch by redis-batch.ts), which keeps every
 * replica on one clock (docs/decisions/0004). Times are stored with %.17g so a double survives the
 * round trip through a Redis string exactly.
 */

export const prelude = `
local now = tonumber(ARGV[1])
if now < 0 then now = batchTime() end
local function fmt(x) return string.format('%.17g', x) end
local function extend(key, ttl)
  local current = redis.call('PTTL', key)
  if current < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * reserve(keyBase, argBase, rateCount, concurrencyCount, leaseId, leaseTtl): the rate keys are
 * KEYS[keyBase + 1 ..], then the concurrency keys; the arguments ARGV[argBase + 1 ..] are (limit,
 * windowMs, cost) per rate, then limit per concurrency key.
 * Returns {rejectedIndex (0: granted), retryAfterMs (-1: never), remaining1, reset1, ...}.
 */
export const reservePrelude = `
local function reserve(keyBase, argBase, rateCount, concurrencyCount, leaseId, leaseTtl)
  local result = {0, 0}
  local nextArrivals = {}
  -- Every rate's stored arrival in one command (a nil is false).
  local stored = {}
  if rateCount > 0 then stored = redis.call('MGET', unpack(KEYS, keyBase + 1, keyBase + rateCount)) end
  for i = 1, rateCount do
    local base = argBase + (i - 1) * 3
    local limit = tonumber(ARGV[base + 1])
    local window = tonumber(ARGV[base + 2])
    local cost = tonumber(ARGV[base + 3])
    local interval = window / limit
    local arrival = now
    if stored[i] then arrival = math.max(tonumber(stored[i]), now) end
    local nextArrival = arrival + cost * interval
    nextArrivals[i] = nextArrival
    local fits = nextArrival - now <= window + 1e-6
    if not fits and result[1] == 0 then
      result[1] = i
      if cost > limit then result[2] = -1 else result[2] = math.ceil(nextArrival - window - now) end
    end
    local counted = arrival
    if fits then counted = nextArrival end
    local used = math.max(0, counted - now)
    result[#result + 1] = math.max(0, math.floor((window - used) / interval + 1e-9))
    result[#result + 1] = math.ceil(used)
  end
  local concurrencyBase = argBase + rateCount * 3
  -- Whether this lease already holds a slot changes the fit only at the limit; below it, it is
  -- read afterwards (ZADD's reply, or ZSCORE on a refusal) to correct the remaining count.
  local unchecked = {}
  for j = 1, concurrencyCount do
    local key = KEYS[keyBase + rateCount + j]
    local limit = tonumber(ARGV[concurrencyBase + j])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    local held = redis.call('ZCARD', key)
    if held < limit then
      unchecked[j] = true
    elseif redis.call('ZSCORE', key, leaseId) then
      held = held - 1
    end
    local fits = held < limit
    if not fits and result[1] == 0 then
      result[1] = rateCount + j
      result[2] = 1000
    end
    local taken = 0
    if fits then taken = 1 end
    result[#result + 1] = math.max(0, limit - held - taken)
    result[#result + 1] = 0
  end
  if result[1] == 0 then
    for i = 1, rateCount do
      local ttl = math.max(1, math.ceil(nextArrivals[i] - now))
      redis.call('SET', KEYS[keyBase + i], fmt(nextArrivals[i]), 'PX', ttl)
    end
    for j = 1, concurrencyCount do
      local key = KEYS[keyBase + rateCount + j]
      -- 0: the lease was there already (it was counted as another holder).
      if redis.call('ZADD', key, now + leaseTtl, leaseId) == 0 and unchecked[j] then
        local at = 3 + (rateCount + j - 1) * 2
        result[at] = result[at] + 1
      end
      extend(key, math.max(1, math.ceil(leaseTtl)))
    end
  else
    for j = 1, concurrencyCount do
      if unchecked[j] and redis.call('ZSCORE', KEYS[keyBase + rateCount + j], leaseId) then
        local at = 3 + (rateCount + j - 1) * 2
        result[at] = result[at] + 1
      end
    end
  end
  return result
end
`;

/**
 * KEYS: rate keys, then concurrency keys. ARGV: now, rateCount, leaseId, leaseTtlMs, then
 * (limit, windowMs, cost) per rate, then limit per concurrency key.
 * Returns {rejectedIndex (0: granted), retryAfterMs (-1: never), remaining1, reset1, ...}.
 */
export const reserveScript =
  prelude +
  reservePrelude +
  `
local rateCount = tonumber(ARGV[2])
return reserve(0, 4, rateCount, #KEYS - rateCount, ARGV[3], tonumber(ARGV[4]))
`;

/** KEYS: the rate key. ARGV: now, limit, windowMs, cost (negative: a refund). */
export const adjustRateScript =
  prelude +
  `
local interval = tonumber(ARGV[3]) / tonumber(ARGV[2])
local stored = redis.call('GET', KEYS[1])
local arrival = now
if stored then arrival = math.max(tonumber(stored), now) end
local nextArrival = math.max(now, arrival + tonumber(ARGV[4]) * interval)
if nextArrival > now then
  redis.call('SET', KEYS[1], fmt(nextArrival), 'PX', math.max(1, math.ceil(nextArrival - now)))
else
  redis.call('DEL', KEYS[1])
end
return 1
`;

/**
 * A settlement: each rate adjusted (as adjustRateScript), then the lease released (as releaseScript).
 * KEYS: rate keys, then concurrency keys. ARGV: now, rateCount, leaseId, then (limit, windowMs,
 * cost) per rate.
 */
export const settleScript =
  prelude +
  `
local rateCount = tonumber(ARGV[2])
for i = 1, rateCount do
  local base = 3 + (i - 1) * 3
  local interval = tonumber(ARGV[base + 2]) / tonumber(ARGV[base + 1])
  local stored = redis.call('GET', KEYS[i])
  local arrival = now
  if stored then arrival = math.max(tonumber(stored), now) end
  local nextArrival = math.max(now, arrival + tonumber(ARGV[base + 3]) * interval)
  if nextArrival > now then
    redis.call('SET', KEYS[i], fmt(nextArrival), 'PX', math.max(1, math.ceil(nextArrival - now)))
  else
    redis.call('DEL', KEYS[i])
  end
end
for i = rateCount + 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[3]) end
return 1
`;

/** KEYS: concurrency keys. ARGV: now (unused), leaseId. */
export const releaseScript =
  prelude +
  `
for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[2]) end
return 1
`;
