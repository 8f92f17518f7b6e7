// The atomic steps as Lua scripts: the same rules as logic.ts (MemoryStore), one script per step, so a
// box request costs one round trip. Every key a script touches is passed in KEYS and shares the
// merchant's hash tag; the optional trailing "hint" keys (global indexes) are passed only on a
// standalone server — on a Cluster the client maintains those indexes with separate commands.
// Orders are msgpack maps read and rewritten with Redis's built-in cmsgpack.

const COMMON = `
local function money(s) return s == 'paid' or s == 'partially_refunded' or s == 'refunded' end
local function dead(s) return s == 'failed' or s == 'cancelled' or s == 'closed' end
local function add_event(o, state, at, note, cap)
  local e = { at = at, state = state }
  if note ~= '' then e.note = note end
  table.insert(o.events, e)
  while #o.events > cap do table.remove(o.events, 1) end
  o.state = state
end
local function duplicate(key, fp)
  local r = redis.call('HMGET', key, 'fp', 'st', 'resp', 'rrn')
  if not r[1] then return nil end
  if r[1] ~= fp then return { 'mismatch' } end
  if r[2] == 'd' and r[3] then return { 'replay', r[3] } end
  return { 'in-progress', r[4] or '' }
end
local function claim(key, fp, ttl, rrn)
  if rrn then redis.call('HSET', key, 'fp', fp, 'st', 'x', 'rrn', rrn)
  else redis.call('HSET', key, 'fp', fp, 'st', 'x') end
  redis.call('PEXPIRE', key, ttl)
end
`;

/**
 * KEYS: request, tombstone, daily, order, orderIndex, [recovery]
 * ARGV: fp, rrn, orderBlob, amount, limited, perTxMax, dailyAmountMax, dailyCountMax,
 *       requestTtl, orderTtl, dailyTtl, recoverAt, recoverMember
 */
export const BEGIN_PAYMENT = `${COMMON}
local dup = duplicate(KEYS[1], ARGV[1])
if dup then return dup end
if redis.call('EXISTS', KEYS[2]) == 1 then return { 'reversed' } end
local amount = tonumber(ARGV[4])
if ARGV[5] == '1' then
  local d = redis.call('HMGET', KEYS[3], 'a', 'c')
  local da, dc = tonumber(d[1] or '0'), tonumber(d[2] or '0')
  local breach = nil
  if ARGV[6] ~= '' and amount > tonumber(ARGV[6]) then breach = 'per-transaction'
  elseif ARGV[7] ~= '' and da + amount > tonumber(ARGV[7]) then breach = 'daily-amount'
  elseif ARGV[8] ~= '' and dc + 1 > tonumber(ARGV[8]) then breach = 'daily-count' end
  if breach then
    claim(KEYS[1], ARGV[1], ARGV[9])
    return { 'limit', breach }
  end
  redis.call('HINCRBY', KEYS[3], 'a', amount)
  redis.call('HINCRBY', KEYS[3], 'c', 1)
  redis.call('PEXPIRE', KEYS[3], ARGV[11])
end
claim(KEYS[1], ARGV[1], ARGV[9], ARGV[2])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[10])
redis.call('SET', KEYS[5], ARGV[2], 'PX', ARGV[10])
if KEYS[6] then redis.call('ZADD', KEYS[6], ARGV[12], ARGV[13]) end
return { 'started' }
`;

/**
 * KEYS: request, tombstone, original, order, orderIndex, [recovery]
 * ARGV: fp, rrn, orderBlob, kind, amount, batch, requestTtl, orderTtl, recoverAt, recoverMember, now
 */
export const BEGIN_REFUND = `${COMMON}
local dup = duplicate(KEYS[1], ARGV[1])
if dup then return dup end
if redis.call('EXISTS', KEYS[2]) == 1 then return { 'reversed' } end
local ob = redis.call('GET', KEYS[3])
if not ob then
  claim(KEYS[1], ARGV[1], ARGV[7])
  return { 'original-not-found' }
end
local o = cmsgpack.unpack(ob)
local amount = tonumber(ARGV[5])
local refusal = nil
if o.kind ~= 'sale' and o.kind ~= 'precreate' then refusal = { 'not-allowed', 'kind', ob }
elseif ARGV[4] == 'void' then
  if o.state ~= 'paid' or o.refundedFen + o.refundPendingFen > 0 then refusal = { 'not-allowed', 'state', ob }
  elseif o.batch ~= ARGV[6] then refusal = { 'not-allowed', 'batch', ob }
  elseif amount ~= o.amountFen then refusal = { 'not-allowed', 'amount', ob } end
else
  local remaining = o.amountFen - o.refundedFen - o.refundPendingFen
  if o.state ~= 'paid' and o.state ~= 'partially_refunded' then refusal = { 'not-allowed', 'state', ob }
  elseif amount > remaining then refusal = { 'exceeds', tostring(remaining), ob } end
end
if refusal then
  claim(KEYS[1], ARGV[1], ARGV[7])
  return refusal
end
o.refundPendingFen = o.refundPendingFen + amount
o.updatedAt = tonumber(ARGV[11])
ob = cmsgpack.pack(o)
redis.call('SET', KEYS[3], ob, 'KEEPTTL')
local n = cmsgpack.unpack(ARGV[3])
n.wallet = o.wallet
local nb = cmsgpack.pack(n)
claim(KEYS[1], ARGV[1], ARGV[7], ARGV[2])
redis.call('SET', KEYS[4], nb, 'PX', ARGV[8])
redis.call('SET', KEYS[5], ARGV[2], 'PX', ARGV[8])
if KEYS[6] then redis.call('ZADD', KEYS[6], ARGV[9], ARGV[10]) end
return { 'started', ob, nb }
`;

/**
 * KEYS: request, tombstone, orderIndex
 * ARGV: fp, requestTtl, tombstoneTtl, the merchant's order-key prefix
 * Returns the original's RRN and order when there is one (its key derived from the RRN, in the
 * index's slot, as in ORDER_BY_REQUEST); otherwise writes the tombstone.
 */
export const BEGIN_REVERSAL = `${COMMON}
local dup = duplicate(KEYS[1], ARGV[1])
if dup then return dup end
claim(KEYS[1], ARGV[1], ARGV[2])
local rrn = redis.call('GET', KEYS[3])
if rrn then return { 'started', rrn, redis.call('GET', ARGV[4] .. rrn) } end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return { 'started' }
`;

/**
 * KEYS: order, parent, batch, daily, request, pushes, [recovery, pushDue]
 * ARGV: 1 from (comma list), 2 to, 3 now, 4 note, 5 wallet, 6 channelOrderId, 7 eventCap, 8 batchTtl,
 *       9 response ('' = none), 10 hasResponse, 11 pushMeta ('' = none), 12 pushPayload, 13 pushTtl,
 *       14 pushScore, 15 pushMember, 16 recoverOp ('', 'add', 'rem'), 17 recoverScore, 18 recoverMember
 */
export const TRANSITION = `${COMMON}
local ob = redis.call('GET', KEYS[1])
if not ob then return { 'not-found' } end
local o = cmsgpack.unpack(ob)
local from, to, now, cap = o.state, ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[7])
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == from then allowed = true end end
if not allowed then return { 'conflict', ob } end

local amount = o.amountFen
local sign = (money(to) and 1 or 0) - (money(from) and 1 or 0)
if o.kind == 'sale' or o.kind == 'precreate' then
  if sign ~= 0 then
    redis.call('HINCRBY', KEYS[3], 'da', sign * amount)
    redis.call('HINCRBY', KEYS[3], 'dc', sign)
    redis.call('PEXPIRE', KEYS[3], ARGV[8])
  end
  if o.limitDay and dead(to) then
    if redis.call('EXISTS', KEYS[4]) == 1 then
      redis.call('HINCRBY', KEYS[4], 'a', -amount)
      redis.call('HINCRBY', KEYS[4], 'c', -1)
    end
    o.limitDay = nil
  end
else
  if sign ~= 0 then
    redis.call('HINCRBY', KEYS[3], 'ca', sign * amount)
    redis.call('HINCRBY', KEYS[3], 'cc', sign)
    redis.call('PEXPIRE', KEYS[3], ARGV[8])
  end
  local was_pending = not money(from) and not dead(from)
  local pending, refunded = 0, 0
  if was_pending and money(to) then pending, refunded = -amount, amount
  elseif was_pending and dead(to) then pending = -amount
  elseif money(from) and dead(to) then refunded = -amount end
  if pending ~= 0 or refunded ~= 0 then
    local pb = redis.call('GET', KEYS[2])
    if pb then
      local p = cmsgpack.unpack(pb)
      p.refundPendingFen = p.refundPendingFen + pending
      p.refundedFen = p.refundedFen + refunded
      if money(p.state) then
        local ps = 'paid'
        if p.refundedFen > 0 then
          ps = (p.refundedFen >= p.amountFen) and 'refunded' or 'partially_refunded'
        end
        if ps ~= p.state then add_event(p, ps, now, 'refund ' .. o.rrn, cap) end
      end
      p.updatedAt = now
      redis.call('SET', KEYS[2], cmsgpack.pack(p), 'KEEPTTL')
    end
  end
end

if ARGV[5] ~= '' then o.wallet = ARGV[5] end
if ARGV[6] ~= '' then o.channelOrderId = ARGV[6] end
o.updatedAt = now
add_event(o, to, now, ARGV[4], cap)
ob = cmsgpack.pack(o)
redis.call('SET', KEYS[1], ob, 'KEEPTTL')

if ARGV[10] == '1' and redis.call('HGET', KEYS[5], 'st') == 'x' then
  redis.call('HSET', KEYS[5], 'st', 'd', 'resp', ARGV[9])
end
if ARGV[11] ~= '' then
  redis.call('HSET', KEYS[6], o.rrn, ARGV[11], o.rrn .. ':b', ARGV[12])
  redis.call('PEXPIRE', KEYS[6], ARGV[13])
  if KEYS[8] then redis.call('ZADD', KEYS[8], ARGV[14], ARGV[15]) end
end
if KEYS[7] then
  if ARGV[16] == 'add' then redis.call('ZADD', KEYS[7], ARGV[17], ARGV[18])
  elseif ARGV[16] == 'rem' then redis.call('ZREM', KEYS[7], ARGV[18]) end
end
return { 'ok', ob }
`;

/**
 * KEYS: orderIndex. ARGV: the merchant's order-key prefix. The order a request created, in one
 * round trip: the order's key is known only once the index is read, so it is built here from the
 * prefix and the RRN instead of passed in KEYS. It carries the same {m:<MID>} tag as the index, so it
 * is in the same Cluster slot, which Redis allows (test/store/redis-cluster.test.ts runs it).
 */
export const ORDER_BY_REQUEST = `
local rrn = redis.call('GET', KEYS[1])
if not rrn then return false end
return redis.call('GET', ARGV[1] .. rrn)
`;

/**
 * KEYS: terminals, sessionKeys, macFailures. ARGV: tid. What a box request needs before its MAC is
 * checked, in one round trip: the terminal record, its working keys, its MAC-failure count (each
 * nil when absent), then the PTTLs of the last two (-2 absent, -1 no expiry: how long a node may
 * keep them). Standalone servers only: the registry's {g} slot is not the terminal's {t:TID}.
 */
export const TERMINAL_CONTEXT = `
return { redis.call('HGET', KEYS[1], ARGV[1]), redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]),
  redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[3]) }
`;

/** KEYS: sessionKeys, macFailures. The terminal's half of TERMINAL_CONTEXT, for a Cluster ({t:TID}). */
export const TERMINAL_KEYS = `
return { redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2]) }
`;

// The writes to a terminal's context. Each publishes the TID on the invalidation channel in the same
// script, so no node can miss a change it is subscribed for (terminal-cache.ts): ARGV[1] is the
// channel, ARGV[2] the TID.

/** KEYS: terminals. ARGV: channel, tid, record. */
export const PUT_TERMINAL = `
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('PUBLISH', ARGV[1], ARGV[2])
`;

/** KEYS: sessionKeys. ARGV: channel, tid, keys, ttl. */
export const PUT_SESSION_KEYS = `
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
redis.call('PUBLISH', ARGV[1], ARGV[2])
`;

/** KEYS: sessionKeys or macFailures. ARGV: channel, tid. Publishes only when there was a key. */
export const DELETE_TERMINAL_KEY = `
if redis.call('DEL', KEYS[1]) == 1 then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
`;

/** KEYS: macFailures. ARGV: channel, tid, ttl. Returns the new count. */
export const INCR_MAC_FAILURES = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return n
`;

/** KEYS: request, tombstone. ARGV: fp, requestTtl. Claims a request that creates no order. */
export const CLAIM_REQUEST = `${COMMON}
local dup = duplicate(KEYS[1], ARGV[1])
if dup then return dup end
if redis.call('EXISTS', KEYS[2]) == 1 then return { 'reversed' } end
claim(KEYS[1], ARGV[1], ARGV[2])
return { 'claimed' }
`;

/** KEYS: request. ARGV: response. Completes only a claimed, executing request. */
export const COMPLETE_REQUEST = `
if redis.call('HGET', KEYS[1], 'st') == 'x' then
  redis.call('HSET', KEYS[1], 'st', 'd', 'resp', ARGV[1])
  return 1
end
return 0
`;

/**
 * KEYS: pushes, [pushDue]. ARGV: rrn, nextAttemptAt, pushDueMember. Counts a send; 0 when the push is
 * gone. The due index gets the next attempt either way (an entry without a push is pruned later).
 */
export const MARK_PUSH_SENT = `
if KEYS[2] then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3]) end
local mb = redis.call('HGET', KEYS[1], ARGV[1])
if not mb then return 0 end
local m = cmsgpack.unpack(mb)
m.attempts = m.attempts + 1
m.nextAttemptAt = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cmsgpack.pack(m))
return 1
`;

/** KEYS: pushes, [pushDue]. ARGV: rrn, pushDueMember. Forgets a push; 0 when it was already gone. */
export const ACK_PUSH = `
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[2]) end
return redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':b')
`;

/** KEYS: lease. ARGV: owner, ttl. Extends the lease only for its owner. */
export const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS: lease. ARGV: owner. Deletes the lease only for its owner. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
