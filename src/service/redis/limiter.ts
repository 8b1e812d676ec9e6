/**
 * The shared rate limiter of a scaled-out deployment: the same exact sliding window log as the in-memory
 * `RateLimiter` (src/service/ratelimit.ts), kept in Redis so every instance counts against one window.
 *
 * Algorithm: sliding log. Each rule's bucket is a sorted set `tokenform:rl:<rule key>` of admissions scored
 * by their time in ms. One Lua script checks all of a request's rules (per key per minute, per key per
 * hour, per account per hour) atomically in one round trip: it drops admissions at or before `now -
 * period`, refuses when any bucket is full (nothing is counted then), else adds the request to every
 * bucket. Precision at window edges: exact to the millisecond, like the in-memory limiter — at most
 * `limit` admissions in any window of `period` ms ending at a check — with one caveat: `now` is the
 * checking instance's clock, so instances whose clocks differ by d ms shift each other's window edges by d
 * (keep clocks in sync with NTP; a skew of a few ms moves an edge by those ms, never doubles a limit).
 * Memory: at most `limit` members per bucket (refused requests are not logged), and every bucket expires
 * `period` ms after its last admission, so idle keys leave Redis by themselves.
 *
 * Errors (Redis down) reject the promise; `FallbackLimiter` (failure.ts) decides what a verify does then.
 * The script's keys hash to different slots: a single Redis primary (or Sentinel), not Redis Cluster.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Limiter, RateDecision, RateRule } from "../ratelimit.js";

/** Prefix of every rate-limit bucket in Redis. */
export const RATE_KEY_PREFIX = "tokenform:rl:";

/**
 * KEYS: the buckets. ARGV: now, this instance's member prefix, a unique member, then limit and period of
 * each bucket. Returns {allowed (1/0), limit, remaining, reset ms, retry-after ms} of the binding rule (the
 * fullest when admitted, the one recovering last when refused).
 */
const CHECK = `
local now = tonumber(ARGV[1])
local member = ARGV[3]
local refused, retryAt = 0, 0
local binding, bindingRemaining = 0, nil
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 + 2 * i])
  local period = tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local freed = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local at = tonumber(freed[2]) + period
    if refused == 0 or at > retryAt then refused, retryAt = i, at end
  end
  local remaining = limit - count - 1
  if bindingRemaining == nil or remaining < bindingRemaining then binding, bindingRemaining = i, remaining end
end
local function resetOf(i)
  local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  local from = now
  if oldest[2] then from = tonumber(oldest[2]) end
  return from + tonumber(ARGV[3 + 2 * i]) - now
end
if refused > 0 then
  return {0, tonumber(ARGV[2 + 2 * refused]), 0, resetOf(refused), retryAt - now}
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3 + 2 * i]))
end
if binding == 0 then return {1, 0, 0, 0, 0} end
if bindingRemaining < 0 then bindingRemaining = 0 end
return {1, tonumber(ARGV[2 + 2 * binding]), bindingRemaining, resetOf(binding), 0}
`;

/** KEYS: the buckets. ARGV: the admission's time, this instance's member prefix. Removes one admission. */
const RELEASE = `
for i = 1, #KEYS do
  local members = redis.call('ZRANGEBYSCORE', KEYS[i], ARGV[1], ARGV[1])
  for _, m in ipairs(members) do
    if string.sub(m, 1, #ARGV[2]) == ARGV[2] then
      redis.call('ZREM', KEYS[i], m)
      break
    end
  end
end
return 0
`;

/** The client with this module's scripts defined (`defineCommand` adds methods ioredis cannot type). */
interface ScriptedRedis {
  tokenformRateCheck(...args: Array<string | number>): Promise<number[]>;
  tokenformRateRelease(...args: Array<string | number>): Promise<number>;
}

/** Sliding-window-log limiter in Redis, shared by every instance on the same Redis database. */
export class RedisLimiter implements Limiter {
  readonly synchronous = false;
  readonly #redis: ScriptedRedis;
  /** Members are `<instance>:<sequence>`, so a release removes an admission this instance made. */
  readonly #instance = `${randomBytes(6).toString("base64url")}:`;
  #sequence = 0;

  constructor(redis: Redis) {
    redis.defineCommand("tokenformRateCheck", { lua: CHECK });
    redis.defineCommand("tokenformRateRelease", { lua: RELEASE });
    this.#redis = redis as unknown as ScriptedRedis;
  }

  async check(rules: readonly RateRule[], now: number): Promise<RateDecision> {
    if (rules.length === 0) return { allowed: true, limit: 0, remaining: 0, reset: 0 };
    const args: Array<string | number> = [rules.length];
    for (const rule of rules) args.push(RATE_KEY_PREFIX + rule.key);
    args.push(now, this.#instance, `${this.#instance}${++this.#sequence}`);
    for (const rule of rules) args.push(rule.limit, rule.periodMs);
    const [allowed, limit, remaining, resetMs, retryMs] = await this.#redis.tokenformRateCheck(...args);
    const reset = Math.max(1, Math.ceil(resetMs! / 1000));
    if (allowed === 1) return { allowed: true, limit: limit!, remaining: remaining!, reset };
    return {
      allowed: false,
      limit: limit!,
      remaining: 0,
      reset,
      retryAfter: Math.max(1, Math.ceil(retryMs! / 1000)),
    };
  }

  async release(rules: readonly RateRule[], at: number): Promise<void> {
    if (rules.length === 0) return;
    await this.#redis.tokenformRateRelease(
      rules.length,
      ...rules.map((r) => RATE_KEY_PREFIX + r.key),
      at,
      this.#instance,
    );
  }
}
