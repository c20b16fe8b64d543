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

import { prelude, reservePrelude } from './redis-limit-scripts.ts';

export { adjustRateScript, releaseScript, reserveScript, settleScript } from './redis-limit-scripts.ts';

/** More fields than this in a window's hash and an add prunes the buckets that left the window. */
export const windowPruneAbove = 64;

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
