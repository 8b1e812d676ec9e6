/**
 * Dashboard sessions: the admin key a person pasted, held in this process's memory only, behind a random
 * session id that travels as an HttpOnly cookie. A session lives `idleSeconds` past its last request
 * (renewed while active) and never longer than `maxSeconds` after sign-in; each has its own CSRF token,
 * which every write must echo in a header. Ids are kept as SHA-256 digests, so the table holds no cookie
 * value. Time is the service clock (tests move it instead of sleeping).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { SecretValue } from "../api/secret.js";
import type { Clock } from "../service/clock.js";

/** Default idle lifetime: 15 minutes without a request ends the session. */
export const DEFAULT_SESSION_IDLE_SECONDS = 15 * 60;
/** Default hard lifetime: 8 hours after sign-in, whatever the activity. */
export const DEFAULT_SESSION_MAX_SECONDS = 8 * 3600;
/** Sessions held at once; the oldest is dropped beyond it. */
const MAX_SESSIONS = 10_000;

export interface Session {
  /** The pasted admin key; revealed only to authenticate the session's requests. */
  key: SecretValue;
  csrf: string;
  /** Epoch ms: the end of the idle window (moved forward on each request). */
  idleUntil: number;
  /** Epoch ms: the hard end. */
  endsAt: number;
}

export interface SessionOptions {
  clock: Clock;
  idleSeconds?: number;
  maxSeconds?: number;
}

function digest(id: string): string {
  return createHash("sha256").update(id).digest("base64url");
}

/** True when `a` and `b` are the same string (constant time for equal lengths). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #clock: Clock;
  readonly idleMs: number;
  readonly maxMs: number;

  constructor(options: SessionOptions) {
    this.#clock = options.clock;
    this.idleMs = (options.idleSeconds ?? DEFAULT_SESSION_IDLE_SECONDS) * 1000;
    this.maxMs = (options.maxSeconds ?? DEFAULT_SESSION_MAX_SECONDS) * 1000;
  }

  /** Opens a session for `key`: returns the cookie value (the id) and the session. */
  open(key: string): { id: string; session: Session } {
    this.#prune();
    const now = this.#clock.now();
    const id = randomBytes(32).toString("base64url");
    const session: Session = {
      key: new SecretValue(key),
      csrf: randomBytes(24).toString("base64url"),
      idleUntil: now + this.idleMs,
      endsAt: now + this.maxMs,
    };
    this.#sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session of cookie value `id`, its idle window renewed; undefined when unknown or over. */
  touch(id: string | undefined): Session | undefined {
    if (id === undefined || id === "") return undefined;
    const hash = digest(id);
    const session = this.#sessions.get(hash);
    if (session === undefined) return undefined;
    const now = this.#clock.now();
    if (now >= session.idleUntil || now >= session.endsAt) {
      this.#sessions.delete(hash);
      return undefined;
    }
    session.idleUntil = Math.min(now + this.idleMs, session.endsAt);
    return session;
  }

  /** Ends the session of cookie value `id` (logout). */
  close(id: string | undefined): void {
    if (id !== undefined) this.#sessions.delete(digest(id));
  }

  /** Drops sessions that are over, and the oldest ones beyond the cap. */
  #prune(): void {
    const now = this.#clock.now();
    for (const [hash, s] of this.#sessions) {
      if (now >= s.idleUntil || now >= s.endsAt) this.#sessions.delete(hash);
    }
    while (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
  }
}
