/**
 * The hygiene view: keys unused for 30+ days, keys expiring within 14 days, bursts of failed attempts
 * (an hour of the last 48 with 10 or more), and keys used from a new address: the most recent address in
 * the service's address history of the key was first seen within the last 24 hours, and the key had been
 * used from another address before.
 */
import { useEffect } from "preact/hooks";
import { listTokens, tokenUsage } from "../api";
import { DAY_MS, HOUR_MS, relative, when } from "../format";
import type { Token } from "../types";
import { Failure, StatusBadge, useLoad } from "./common";

const UNUSED_DAYS = 30;
const EXPIRING_DAYS = 14;
const BURST = 10;
/** Tokens whose hourly usage is fetched to look for bursts (the ones with the most failures). */
const BURST_CANDIDATES = 50;
/** An address first seen this many hours ago or less is new. */
const NEW_ADDRESS_HOURS = 24;
/** Tokens whose address history is fetched (the most recently used within that window). */
const ADDRESS_CANDIDATES = 100;

interface Burst {
  token: Token;
  start: string;
  failures: number;
}

interface Findings {
  unused: Token[];
  expiring: Token[];
  bursts: Burst[];
  newAddress: Array<{ token: Token; address: string; firstSeen: string; seen: string[] }>;
}

/**
 * Keys whose most recent address (from the service's per-key address history) was first seen within the
 * last `NEW_ADDRESS_HOURS` hours, after the key had been used from another address: only keys used within
 * that window can qualify, and the `ADDRESS_CANDIDATES` most recently used of them are looked at.
 */
async function newAddresses(tokens: Token[], now: number): Promise<Findings["newAddress"]> {
  const since = now - NEW_ADDRESS_HOURS * HOUR_MS;
  const candidates = tokens
    .filter((t) => t.lastUsedAt !== null && Date.parse(t.lastUsedAt) >= since)
    .sort((a, b) => (b.lastUsedAt ?? "").localeCompare(a.lastUsedAt ?? ""))
    .slice(0, ADDRESS_CANDIDATES);
  const found: Findings["newAddress"] = [];
  for (const token of candidates) {
    const [latest, ...before] = (await tokenUsage(token.id)).addresses;
    if (latest && before.length > 0 && Date.parse(latest.firstSeen) >= since)
      found.push({ token, address: latest.ip, firstSeen: latest.firstSeen, seen: before.map((a) => a.ip) });
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
  return { unused, expiring, bursts, newAddress: await newAddresses(tokens, now) };
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
            note={`The service keeps the 20 addresses each key was most recently used from; a key is listed when its latest address was first seen within the last ${NEW_ADDRESS_HOURS} hours and it had been used from another address before.`}
            empty={`No key started being used from a new address in the last ${NEW_ADDRESS_HOURS} hours.`}
            items={f.newAddress.map(({ token, address, firstSeen, seen }) => (
              <li key={token.id}>
                <Name token={token} /> — used from {address}, first seen {relative(firstSeen)}; seen before:{" "}
                {seen.join(", ")}
              </li>
            ))}
          />
        </>
      )}
    </section>
  );
}
