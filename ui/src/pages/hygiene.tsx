/**
 * The hygiene view: keys unused for 30+ days, keys expiring within 14 days, bursts of failed attempts
 * (an hour of the last 48 with 10 or more), and keys last used from an address this browser has not seen
 * them use before (the addresses seen are remembered in this browser's storage: addresses only, no key).
 */
import { useEffect } from "preact/hooks";
import { listTokens, tokenUsage } from "../api";
import { DAY_MS, relative, when } from "../format";
import type { Token } from "../types";
import { Failure, StatusBadge, useLoad } from "./common";

const UNUSED_DAYS = 30;
const EXPIRING_DAYS = 14;
const BURST = 10;
/** Tokens whose hourly usage is fetched to look for bursts (the ones with the most failures). */
const BURST_CANDIDATES = 50;
const SEEN_KEY = "tokenform.seenAddresses";

interface Burst {
  token: Token;
  start: string;
  failures: number;
}

interface Findings {
  unused: Token[];
  expiring: Token[];
  bursts: Burst[];
  newAddress: Array<{ token: Token; seen: string[] }>;
}

/** Addresses each key was seen using, by token id (this browser's memory). */
function newAddresses(tokens: Token[]): Findings["newAddress"] {
  let seen: Record<string, string[]> = {};
  try {
    seen = JSON.parse(localStorage.getItem(SEEN_KEY) ?? "{}") as Record<string, string[]>;
  } catch {
    seen = {};
  }
  const found: Findings["newAddress"] = [];
  const next: Record<string, string[]> = {};
  for (const t of tokens) {
    const known = seen[t.id] ?? [];
    if (t.lastUsedIp && known.length > 0 && !known.includes(t.lastUsedIp))
      found.push({ token: t, seen: known });
    next[t.id] = t.lastUsedIp && !known.includes(t.lastUsedIp) ? [...known, t.lastUsedIp].slice(-20) : known;
  }
  try {
    localStorage.setItem(SEEN_KEY, JSON.stringify(next));
  } catch {
    // storage full or disabled: the check simply has no memory
  }
  return found;
}

async function findings(): Promise<Findings> {
  const tokens = await listTokens();
  const now = Date.now();
  const unused = tokens.filter((t) => {
    const last = Date.parse(t.lastUsedAt ?? t.createdAt);
    return t.status !== "pending" && now - last >= UNUSED_DAYS * DAY_MS;
  });
  const expiring = tokens.filter(
    (t) =>
      t.expiresAt !== null &&
      t.status !== "expired" &&
      Date.parse(t.expiresAt) - now <= EXPIRING_DAYS * DAY_MS,
  );
  const candidates = tokens
    .filter((t) => t.failedAttempts >= BURST)
    .sort((a, b) => b.failedAttempts - a.failedAttempts)
    .slice(0, BURST_CANDIDATES);
  const bursts: Burst[] = [];
  for (const token of candidates) {
    const usage = await tokenUsage(token.id);
    for (const hour of usage.hourly) {
      if (hour.failures >= BURST) bursts.push({ token, start: hour.start, failures: hour.failures });
    }
  }
  bursts.sort((a, b) => b.start.localeCompare(a.start));
  return { unused, expiring, bursts, newAddress: newAddresses(tokens) };
}

function Name({ token }: { token: Token }) {
  return (
    <>
      <a href={`#/tokens/${encodeURIComponent(token.id)}`}>{token.name}</a>{" "}
      <StatusBadge status={token.status} />
    </>
  );
}

function Group(props: {
  id: string;
  title: string;
  empty: string;
  items: preact.ComponentChildren[];
  note?: string;
}) {
  return (
    <section aria-labelledby={props.id} class="hygiene">
      <h2 id={props.id}>
        {props.title} <span class="count">({props.items.length})</span>
      </h2>
      {props.note && <p class="hint">{props.note}</p>}
      {props.items.length === 0 ? <p>{props.empty}</p> : <ul>{props.items}</ul>}
    </section>
  );
}

export function HygienePage() {
  const load = useLoad(findings, []);
  useEffect(() => {
    document.title = "Hygiene · tokenform";
  }, []);
  const f = load.value;
  return (
    <section aria-labelledby="hygiene-title">
      <h1 id="hygiene-title">Hygiene</h1>
      <Failure error={load.error} />
      {!f && !load.error && <p>Looking…</p>}
      {f && (
        <>
          <Group
            id="h-unused"
            title={`Unused for ${UNUSED_DAYS}+ days`}
            empty="Every key was used within the last 30 days."
            items={f.unused.map((t) => (
              <li key={t.id}>
                <Name token={t} /> — last used {relative(t.lastUsedAt, Date.now(), "never")} (created{" "}
                {when(t.createdAt)})
              </li>
            ))}
          />
          <Group
            id="h-expiring"
            title={`Expiring within ${EXPIRING_DAYS} days`}
            empty="No key expires in the next two weeks."
            items={f.expiring.map((t) => (
              <li key={t.id}>
                <Name token={t} /> — expires {relative(t.expiresAt)} ({when(t.expiresAt)})
              </li>
            ))}
          />
          <Group
            id="h-bursts"
            title="Bursts of failed attempts"
            empty={`No hour of the last 48 had ${BURST} or more failed attempts on one key.`}
            items={f.bursts.map((b) => (
              <li key={`${b.token.id}-${b.start}`}>
                <Name token={b.token} /> — {b.failures} failed attempts in the hour from {when(b.start)}
              </li>
            ))}
          />
          <Group
            id="h-address"
            title="Used from a new address"
            note="The service keeps each key's last address; this browser remembers the ones it has seen (addresses only), so a new browser starts with no memory."
            empty="No key was last used from an address this browser has not seen it use before."
            items={f.newAddress.map(({ token, seen }) => (
              <li key={token.id}>
                <Name token={token} /> — last used from {token.lastUsedIp} {relative(token.lastUsedAt)}; seen
                before: {seen.join(", ")}
              </li>
            ))}
          />
        </>
      )}
    </section>
  );
}
