/**
 * The Lua scripts behind RedisStateStore: each StateStore operation is one script, so one round trip
 * and atomic. The arithmetic mirrors MemoryStateStore line for line (the contract suite holds both
 * to the same results).
 *
 * Every script takes `now` (milliseconds since the epoch) as ARGV[1]; a negative value means "use
 * the Redis server's TIME", which keeps every replica on one clock (docs/decisions/0004). The scripts
 * run inside the batch script (redis-batch.ts), whose `batchTime()` reads TIME once per batch.
 * Times are stored with %.17g so a double survives the round trip through a Redis string exactly.
 */

/** More fields than this in a window's hash and an add prunes the buckets that left the window. */
export const windowPruneAbove = 64;

const prelude = `
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
const reservePrelude = `
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

/**
 * One hash per windowed key, field "<bucket index>|<counter name>"; ten buckets per window.
 * countWindow(key, window, first, last) adds the (name, increment) pairs ARGV[first..last] (none: read
 * only) and returns {name, sum, ...} over the buckets still in the window; older fields are deleted.
 */
const windowPrelude = `
local function countWindow(key, window, first, last)
  local bucketMs = window / 10
  local current = math.floor(now / bucketMs)
  local currentText = string.format('%.0f', current)
  if last >= first then
    for i = first, last, 2 do
      redis.call('HINCRBYFLOAT', key, currentText .. '|' .. ARGV[i], ARGV[i + 1])
    end
    redis.call('PEXPIRE', key, math.max(1, math.ceil(window)))
  end
  local fields = redis.call('HGETALL', key)
  local sums = {}
  local names = {}
  for i = 1, #fields, 2 do
    local separator = string.find(fields[i], '|', 1, true)
    local index = tonumber(string.sub(fields[i], 1, separator - 1))
    local name = string.sub(fields[i], separator + 1)
    if index > current - 10 then
      if sums[name] == nil then
        sums[name] = 0
        names[#names + 1] = name
      end
      sums[name] = sums[name] + tonumber(fields[i + 1])
    else
      redis.call('HDEL', key, fields[i])
    end
  end
  local result = {}
  for _, name in ipairs(names) do
    result[#result + 1] = name
    result[#result + 1] = fmt(sums[name])
  end
  return result
end
`;

/**
 * addWindow(key, window, first, last): countWindow's increments without reading the window back.
 * Old buckets are pruned only once the hash holds more than `windowPruneAbove` fields (a window's
 * live fields are 10 buckets × its counter names, a handful), so the common add is 2 commands and
 * the hash stays bounded.
 */
const addWindowPrelude = `
local function addWindow(key, window, first, last)
  local current = math.floor(now / (window / 10))
  local currentText = string.format('%.0f', current)
  for i = first, last, 2 do
    redis.call('HINCRBYFLOAT', key, currentText .. '|' .. ARGV[i], ARGV[i + 1])
  end
  redis.call('PEXPIRE', key, math.max(1, math.ceil(window)))
  if redis.call('HLEN', key) > ${windowPruneAbove} then countWindow(key, window, 1, 0) end
end
`;

/** KEYS: the window key. ARGV: now, windowMs, then (name, increment) pairs (none: read only). */
export const windowScript =
  prelude +
  windowPrelude +
  `
return countWindow(KEYS[1], tonumber(ARGV[2]), 3, #ARGV)
`;

/** KEYS: the window key. ARGV: now, windowMs, then (name, increment) pairs. Returns 1. */
export const addWindowScript =
  prelude +
  windowPrelude +
  addWindowPrelude +
  `
addWindow(KEYS[1], tonumber(ARGV[2]), 3, #ARGV)
return 1
`;

/**
 * Values are stored as "<expiresAt>|<value>" with a PX expiry, so that expiry follows the store's
 * clock (fake in tests) while Redis still drops the key on its own. Two sorted sets index the live
 * keys for scan: by expiry (to prune) and by name (score 0, for a lexicographic prefix range).
 */
const valuePrelude = `
local function live(raw)
  if not raw then return false end
  local separator = string.find(raw, '|', 1, true)
  if tonumber(string.sub(raw, 1, separator - 1)) <= now then return false end
  return string.sub(raw, separator + 1)
end
local function prune(byExpiry, byName, count)
  local expired
  if count > 0 then
    expired = redis.call('ZRANGEBYSCORE', byExpiry, '-inf', now, 'LIMIT', 0, count)
  else
    expired = redis.call('ZRANGEBYSCORE', byExpiry, '-inf', now)
  end
  for _, member in ipairs(expired) do
    redis.call('ZREM', byExpiry, member)
    redis.call('ZREM', byName, member)
  end
end
local function store(valueKey, byExpiry, byName, member, value, ttl)
  local expiresAt = now + ttl
  local ttlMs = math.max(1, math.ceil(ttl))
  redis.call('SET', valueKey, fmt(expiresAt) .. '|' .. value, 'PX', ttlMs)
  redis.call('ZADD', byExpiry, expiresAt, member)
  redis.call('ZADD', byName, 0, member)
  extend(byExpiry, ttlMs)
  extend(byName, ttlMs)
  prune(byExpiry, byName, 16)
end
`;

/** KEYS: value keys. ARGV: now. Returns the live values (nil where absent or expired). */
export const getScript =
  prelude +
  valuePrelude +
  `
local raws = redis.call('MGET', unpack(KEYS))
local result = {}
for i = 1, #raws do result[i] = live(raws[i]) end
return result
`;

/** KEYS: value key, expiry index, name index. ARGV: now, ttlMs, value, member. */
export const setScript =
  prelude +
  valuePrelude +
  `
store(KEYS[1], KEYS[2], KEYS[3], ARGV[4], ARGV[3], tonumber(ARGV[2]))
return 1
`;

/**
 * KEYS: value key, expiry index, name index. ARGV: now, ttlMs, value, member, expectedPresent
 * ('1' or '0'), expected. Returns 1 when set, 0 when the current value did not match.
 */
export const compareAndSetScript =
  prelude +
  valuePrelude +
  `
local current = live(redis.call('GET', KEYS[1]))
if ARGV[5] == '1' then
  if current ~= ARGV[6] then return 0 end
elseif current then
  return 0
end
store(KEYS[1], KEYS[2], KEYS[3], ARGV[4], ARGV[3], tonumber(ARGV[2]))
return 1
`;

/** KEYS: value key, expiry index, name index. ARGV: now (unused), member. */
export const deleteScript =
  prelude +
  `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
return 1
`;

/**
 * KEYS: expiry index, name index. ARGV: now, prefix, value key prefix. Reads the value keys named by
 * the index (same hash tag, so the same Cluster slot). Returns {member, value, ...}.
 */
export const scanScript =
  prelude +
  valuePrelude +
  `
prune(KEYS[1], KEYS[2], 0)
local members
if ARGV[2] == '' then
  members = redis.call('ZRANGEBYLEX', KEYS[2], '-', '+')
else
  members = redis.call('ZRANGEBYLEX', KEYS[2], '[' .. ARGV[2], '(' .. ARGV[2] .. '\\255')
end
local result = {}
for _, member in ipairs(members) do
  local value = live(redis.call('GET', ARGV[3] .. member))
  if value then
    result[#result + 1] = member
    result[#result + 1] = value
  end
end
return result
`;

/**
 * reserve, then (only when granted) each window's increments, the second reservation (`also`) and
 * the value reads: one admission.
 * KEYS: rate keys, concurrency keys, window keys, also's rate keys and concurrency keys, value keys.
 * ARGV: now, rateCount, concurrencyCount, windowCount, leaseId, leaseTtlMs, the reserve's
 * arguments (as reserveScript), then per window: windowMs, pairCount, (name, increment) pairs; then
 * also's rateCount, concurrencyCount, leaseId, leaseTtlMs and arguments (counts 0: no also).
 * Returns {reserve's reply..., then when granted one value per value key (nil: absent), then also's
 * reply (as reserve's) when there is one}.
 */
export const admitScript =
  prelude +
  reservePrelude +
  windowPrelude +
  addWindowPrelude +
  valuePrelude +
  `
local rateCount = tonumber(ARGV[2])
local concurrencyCount = tonumber(ARGV[3])
local windowCount = tonumber(ARGV[4])
local result = reserve(0, 6, rateCount, concurrencyCount, ARGV[5], tonumber(ARGV[6]))
if result[1] ~= 0 then return result end
local keyIndex = rateCount + concurrencyCount
local argIndex = 6 + rateCount * 3 + concurrencyCount
for w = 1, windowCount do
  local pairCount = tonumber(ARGV[argIndex + 2])
  local first = argIndex + 3
  addWindow(KEYS[keyIndex + w], tonumber(ARGV[argIndex + 1]), first, first + pairCount * 2 - 1)
  argIndex = argIndex + 2 + pairCount * 2
end
keyIndex = keyIndex + windowCount
local alsoRates = tonumber(ARGV[argIndex + 1])
local alsoConcurrency = tonumber(ARGV[argIndex + 2])
local also = nil
if alsoRates + alsoConcurrency > 0 then
  also = reserve(keyIndex, argIndex + 4, alsoRates, alsoConcurrency, ARGV[argIndex + 3], tonumber(ARGV[argIndex + 4]))
end
local firstRead = keyIndex + alsoRates + alsoConcurrency + 1
if firstRead <= #KEYS then
  local raws = redis.call('MGET', unpack(KEYS, firstRead))
  local size = #result
  for i = 1, #raws do result[size + i] = live(raws[i]) end
end
if also then
  local size = #result
  for i = 1, #also do result[size + i] = also[i] end
end
return result
`;

/** ARGV: now (unused), channel, message. PUBLISH from a script, so that it keeps its place among the batched calls. */
export const publishScript = `
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;
