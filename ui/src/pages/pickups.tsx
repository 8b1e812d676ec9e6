/**
 * Approving a holder's pickup (`tokenform pickup` shows them a code like `WDJB-MJHT`): type the code, see
 * who asked, from which address, until when, and for which keys, then approve — the dashboard's form of
 * `tokenform approve CODE`. `#/pickups/<code>` opens a code directly. Both steps are ordinary API calls
 * (`GET /v1/pickups/{code}`, `POST /v1/pickups/{code}/approve`), so the service's authority rules, its
 * refusals (unknown or expired code, already approved) and its audit apply.
 */
import { useEffect, useState } from "preact/hooks";
import { approvePickup, getPickup, type Me } from "../api";
import { relative, when } from "../format";
import type { Pickup } from "../types";
import { Failure } from "./common";

/** What each state means to the approver (the API's states, src/api/schemas.ts). */
const STATES: Record<Pickup["state"], string> = {
  waiting: "waiting for approval",
  approved: "approved: the holder's CLI receives the keys on its next poll",
  claimed: "approved and claimed: the keys were released to the holder's CLI",
  delivered: "delivered: the holder's CLI wrote the keys",
  expired: "expired",
};

function Session({ pickup }: { pickup: Pickup }) {
  const rows: Array<[string, string]> = [
    ["Holder", pickup.holder],
    ["Asked from", pickup.requesterIp ?? "unknown address"],
    ["Asked", when(pickup.createdAt)],
    ["Code expires", `${when(pickup.expiresAt)} (${relative(pickup.expiresAt)})`],
    ["State", STATES[pickup.state]],
  ];
  if (pickup.approvedBy) rows.push(["Approved by", pickup.approvedBy]);
  return (
    <section aria-labelledby="pickup-title">
      <h2 id="pickup-title">Pickup {pickup.userCode}</h2>
      <dl class="settings">
        {rows.map(([k, v]) => (
          <div>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h3>Keys it releases</h3>
      <div class="table-wrap">
        <table class="list pickup-keys">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Client</th>
              <th scope="col">Server</th>
              <th scope="col">URL</th>
            </tr>
          </thead>
          <tbody>
            {pickup.tokens.map((t) => (
              <tr key={t.id}>
                <td data-label="Key">
                  <a href={`#/tokens/${encodeURIComponent(t.id)}`}>{t.name}</a>
                </td>
                <td data-label="Client">{t.client}</td>
                <td data-label="Server">{t.server}</td>
                <td data-label="URL">
                  <code>{t.url}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function PickupsPage({ code: initial, who }: { code: string; who: Me }) {
  const [typed, setTyped] = useState(initial);
  const [pickup, setPickup] = useState<Pickup | undefined>(undefined);
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  useEffect(() => {
    document.title = "Pickups · tokenform";
  }, []);

  async function look(code: string) {
    setError("");
    setDone("");
    setPickup(undefined);
    try {
      setPickup(await getPickup(code));
    } catch (failure) {
      setError((failure as Error).message);
    }
  }
  useEffect(() => {
    if (initial) look(initial);
  }, [initial]);

  async function approve(session: Pickup) {
    setError("");
    setDone("");
    try {
      const approved = await approvePickup(session.userCode);
      setPickup(approved);
      setDone(
        `Pickup ${approved.userCode} approved: ${approved.holder}'s CLI receives ${approved.tokens.length === 1 ? "the key" : `${approved.tokens.length} keys`} on its next poll.`,
      );
    } catch (failure) {
      setError((failure as Error).message);
      // Show the session as it is now (approved meanwhile, or expired).
      getPickup(session.userCode).then(setPickup, () => setPickup(undefined));
    }
  }

  return (
    <section aria-labelledby="pickups-title">
      <h1 id="pickups-title">Pickups</h1>
      <p>
        A holder runs <code>tokenform pickup</code>, which shows a code like <code>WDJB-MJHT</code>. Look it
        up here, check who asked and for which keys, and approve: their CLI then receives the keys' new
        secrets, once. Codes expire after a few minutes.
      </p>
      <form
        class="create"
        onSubmit={(e) => {
          e.preventDefault();
          const code = typed.trim();
          if (code) look(code);
        }}
      >
        <label for="pickup-code">Pickup code</label>
        <input
          id="pickup-code"
          value={typed}
          required
          autoComplete="off"
          spellcheck={false}
          placeholder="WDJB-MJHT"
          maxLength={32}
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Look up</button>
      </form>
      <Failure error={error} />
      <p class="status" role="status">
        {done}
      </p>
      {pickup && <Session pickup={pickup} />}
      {pickup?.state === "waiting" &&
        (who.canWrite ? (
          <p>
            <button type="button" onClick={() => approve(pickup)}>
              Approve
            </button>
          </p>
        ) : (
          <p class="note">Your key may only read: approving needs a key with tokens:write.</p>
        ))}
    </section>
  );
}
