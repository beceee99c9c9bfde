/**
 * The GCRA (generic cell rate algorithm) of every charge of one hash-tag group, in one Lua call.
 *
 * Per key the state is one number: the theoretical arrival time (TAT, ms on Redis's clock) of the
 * next call if calls came evenly. A limit of `limit` calls per `window` lets `limit` calls come at
 * once, then one every `window / limit`. A call of cost `n` is admitted when
 * `max(TAT, now) + n * interval - now <= window`; admitting moves the TAT there.
 *
 * All keys are checked first, then all admitted ones are committed: a refused request consumes
 * nothing. The clock is Redis's `TIME`, so every replica measures against the same one. A key
 * expires (PX) when its TAT is reached: after that it is the same as absent.
 *
 * A charge may also ask for `extra` calls ahead of need (a lease, lease-book.ts): as many of them
 * as fit are counted too and granted; they never decide whether the call itself is admitted.
 *
 * KEYS: the counters (one hash tag). ARGV: per key, four numbers: limit, window in ms, cost, extra.
 * Returns `{0, granted_1, ..., granted_n}` when every charge is admitted (the extra calls granted
 * per key), else `{i, retryMs}` for the refused charge (1-based) that has the longest wait.
 */
export const GCRA_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local next_tat = {}
local granted = {0}
local refused, retry = 0, 0
for i = 1, n do
  local limit = tonumber(ARGV[i * 4 - 3])
  local window = tonumber(ARGV[i * 4 - 2])
  local cost = tonumber(ARGV[i * 4 - 1])
  local extra = tonumber(ARGV[i * 4])
  local interval = window / limit
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local candidate = tat + cost * interval
  local over = candidate - now - window
  if over > 0 then
    -- A cost above the limit is never admitted: the wait reported is the whole window.
    if cost > limit then over = window end
    if over > retry then refused, retry = i, over end
  else
    local room = math.floor((now + window - candidate) / interval)
    if extra > room then extra = room end
    if extra < 0 then extra = 0 end
    next_tat[i] = candidate + extra * interval
    granted[i + 1] = extra
  end
end
if refused > 0 then return {refused, math.ceil(retry)} end
for i = 1, n do
  local ttl = math.ceil(next_tat[i] - now)
  if ttl < 1 then ttl = 1 end
  redis.call('SET', KEYS[i], string.format('%.3f', next_tat[i]), 'PX', ttl)
end
return granted
`;

/**
 * Gives back what an admitted group consumed when another group of the same request was refused
 * (same KEYS and ARGV as the GCRA): each TAT moves back by its cost, never below now.
 */
export const REFUND_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  local back = tat - tonumber(ARGV[i * 3]) * tonumber(ARGV[i * 3 - 1]) / tonumber(ARGV[i * 3 - 2])
  if back <= now then
    redis.call('DEL', KEYS[i])
  else
    redis.call('SET', KEYS[i], string.format('%.3f', back), 'PX', math.ceil(back - now))
  end
end
return 0
`;
