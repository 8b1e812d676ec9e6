/**
 * One token: its settings, its holder and pickup (whether its secret waits for the holder's
 * `tokenform pickup`), where its secret was delivered (names and fingerprints, never values), usage
 * charts (48 hours by hour, 30 days by day), failed attempts, its audit trail, and — for a key that may
 * write — the actions (actions.tsx).
 */
import { useEffect, useState } from "preact/hooks";
import { getToken, listAudit, type Me, tokenUsage } from "../api";
import { fillBuckets, UsageChart } from "../chart";
import { DAY_MS, HOUR_MS, relative, waitingPickup, when } from "../format";
import { ownerOf, type Token } from "../types";
import { Actions } from "./actions";
import { AuditTable } from "./audit";
import { Failure, StatusBadge, useLoad } from "./common";

function list(values: readonly string[] | null, none: string): string {
  return values === null || values.length === 0 ? none : values.join(", ");
}

function Settings({ token }: { token: Token }) {
  const owner = ownerOf(token.labels);
  const rows: Array<[string, string]> = [
    ["Type", token.type],
    ["Owner", owner ? `managed by ${owner}` : "unmanaged (not in any spec)"],
    ["Holder", token.holder ?? "none named"],
    ["Description", token.description || "—"],
    ["Scopes", list(token.scopes, "none")],
    ["Read only", token.readOnly ? "yes" : "no"],
    ["Tools", token.tools === null ? "any tool its scopes allow" : list(token.tools, "none")],
    ["IP allowlist", list(token.ipAllowlist, "any address")],
    [
      "Rate limits",
      `${token.rateLimit.perMinute ?? "service default"} per minute; ${token.rateLimit.perHour ?? "no limit"} per hour`,
    ],
    [
      "Labels",
      Object.entries(token.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "none",
    ],
    ["Prefix", `${token.displayPrefix}…`],
    ["Fingerprint", token.fingerprint],
    ["Generation", String(token.generation)],
    ["Created", `${when(token.createdAt)} by ${token.createdBy}`],
    ["Last rotated", when(token.rotatedAt)],
    ["Expires", when(token.expiresAt)],
    ["Last used", `${when(token.lastUsedAt)}${token.lastUsedIp ? ` from ${token.lastUsedIp}` : ""}`],
  ];
  for (const previous of token.previousSecrets) {
    rows.push([
      `Previous secret ${previous.generation}`,
      `${previous.displayPrefix}… ${previous.fingerprint}, works until ${when(previous.expiresAt, "no end")}`,
    ]);
  }
  return (
    <section aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <dl class="settings">
        {rows.map(([k, v]) => (
          <div>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** Where the holder picks the key up, and whether a secret waits for them (absent for delivered keys). */
function PickupInfo({ token }: { token: Token }) {
  const pickup = token.pickup;
  if (!pickup) return null;
  const waiting = waitingPickup(token);
  return (
    <>
      <p class={waiting ? "note pickup-waiting" : "pickup-waiting"}>
        {waiting ? (
          <>
            {`Its secret ${waiting}. `}
            <a href="#/pickups">Approve their pickup code</a> when they run <code>tokenform pickup</code>.
          </>
        ) : (
          `Nothing waits for ${token.holder ?? "its holder"}'s pickup.`
        )}
      </p>
      <p>
        {`Picked up into ${pickup.client} as server ${pickup.server} (${pickup.url}, ${pickup.header} header); `}
        {`last released ${when(pickup.pickedUpAt)}, written by the holder's CLI ${when(pickup.deliveredAt)}.`}
      </p>
    </>
  );
}

function Deliveries({ token }: { token: Token }) {
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <PickupInfo token={token} />
      {token.deliveries.length === 0 ? (
        !token.pickup && <p>Its secret was not delivered anywhere by tokenform.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Destination</th>
                <th scope="col">Generation</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">Delivered</th>
              </tr>
            </thead>
            <tbody>
              {token.deliveries.map((d) => (
                <tr>
                  <td>{d.destination}</td>
                  <td>{d.generation}</td>
                  <td>
                    <code>{d.fingerprint}</code>
                  </td>
                  <td>{when(d.deliveredAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function UsageSection({ token }: { token: Token }) {
  const usage = useLoad(() => tokenUsage(token.id), [token.id, token.version]);
  const u = usage.value;
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      <Failure error={usage.error} />
      {u && (
        <>
          <p>
            {`${u.requestCount} successful requests in all; `}
            <strong>{u.failedAttempts} failed attempts</strong>
            {`; last used ${relative(u.lastUsedAt)}`}
            {u.lastUsedIp ? ` from ${u.lastUsedIp}` : ""}.
          </p>
          <div class="charts">
            <UsageChart
              id="chart-hourly"
              title="Last 48 hours"
              unit="hour"
              buckets={fillBuckets(u.hourly, HOUR_MS, 48)}
            />
            <UsageChart
              id="chart-daily"
              title="Last 30 days"
              unit="day"
              buckets={fillBuckets(u.daily, DAY_MS, 30)}
            />
          </div>
        </>
      )}
    </section>
  );
}

export function TokenPage({ id, who }: { id: string; who: Me }) {
  const [token, setToken] = useState<Token | undefined>(undefined);
  const [error, setError] = useState("");
  const [round, setRound] = useState(0);
  useEffect(() => {
    getToken(id).then(setToken, (e: Error) => setError(e.message));
  }, [id, round]);
  const audit = useLoad(() => listAudit({ targetId: id }), [id, token?.version]);
  useEffect(() => {
    document.title = `${token?.name ?? "Token"} · tokenform`;
  }, [token?.name]);
  if (!token)
    return (
      <section>
        <p>
          <a href="#/tokens">← All tokens</a>
        </p>
        <Failure error={error} />
      </section>
    );
  return (
    <article aria-labelledby="token-title">
      <p>
        <a href="#/tokens">← All tokens</a>
      </p>
      <div class="heading">
        <h1 id="token-title">{token.name}</h1>
        <StatusBadge status={token.status} />
      </div>
      {who.canWrite ? (
        <Actions token={token} onChanged={setToken} onReload={() => setRound((r) => r + 1)} />
      ) : (
        <p class="note">Your key may only read: the actions are not offered.</p>
      )}
      <Settings token={token} />
      <Deliveries token={token} />
      <UsageSection token={token} />
      <section aria-labelledby="trail-title">
        <h2 id="trail-title">Audit trail</h2>
        <Failure error={audit.error} />
        {audit.value && <AuditTable entries={audit.value} showTarget={false} />}
      </section>
    </article>
  );
}
