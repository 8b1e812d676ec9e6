/**
 * What a key that may write can do to a token: the emergency switch (disable/enable), rotate now with an
 * overlap (a picked-up key's new secret waits for its holder's pickup), rename and revoke (typed
 * confirmation). Every action is an ordinary API call, so the service's authority rules and audit apply.
 * A token managed by a spec says what the change means for the next plan.
 */
import { useState } from "preact/hooks";
import { deleteToken, rollToken, updateToken } from "../api";
import { ownerOf, type Token } from "../types";
import { SecretOnce } from "./common";

const OVERLAPS: Array<[string, string]> = [
  ["0s", "none: the old secret stops now"],
  ["1h", "1 hour"],
  ["24h", "24 hours"],
  ["7d", "7 days"],
];

interface Props {
  token: Token;
  onChanged: (token: Token) => void;
  onReload: () => void;
}

function Switch({ token, onChanged, run, owner }: Props & { run: Runner; owner: string | undefined }) {
  const next = !token.enabled;
  return (
    <div class="action">
      <h3>{token.enabled ? "Disable" : "Enable"}</h3>
      {owner && (
        <p class="note">
          Managed by {owner}: the next <code>tokenform plan</code> reports this as drift, and{" "}
          <code>apply</code> sets it back. To make it stick, set <code>enabled: {String(next)}</code> on{" "}
          <code>{token.name}</code> in the spec.
        </p>
      )}
      <button
        type="button"
        class={token.enabled ? "danger" : ""}
        onClick={() =>
          run(async () => {
            onChanged(await updateToken(token, { enabled: next }));
            return next ? "Key enabled." : "Key disabled: it is refused from now on.";
          })
        }
      >
        {token.enabled ? "Disable key" : "Enable key"}
      </button>
    </div>
  );
}

function Rotate({ token, onChanged, run, owner }: Props & { run: Runner; owner: string | undefined }) {
  const [overlap, setOverlap] = useState("1h");
  const [secret, setSecret] = useState("");
  if (owner) {
    return (
      <div class="action">
        <h3>Rotate</h3>
        <p class="note">
          Managed by {owner}: rotate it through its spec so the new secret reaches its destinations —{" "}
          <code>tokenform rotate {token.name}</code> (add <code>--now</code> to end the old secret at once).
        </p>
      </div>
    );
  }
  return (
    <div class="action">
      <h3>Rotate now</h3>
      {secret ? (
        <SecretOnce secret={secret} onDone={() => setSecret("")} />
      ) : (
        <>
          <label for="overlap">Old secret keeps working for</label>
          <select
            id="overlap"
            value={overlap}
            onChange={(e) => setOverlap((e.target as HTMLSelectElement).value)}
          >
            {OVERLAPS.map(([v, text]) => (
              <option value={v}>{text}</option>
            ))}
          </select>
          <button
            type="button"
            onClick={() =>
              run(async () => {
                const rolled = await rollToken(token, overlap);
                onChanged(rolled.token);
                if (rolled.secret === undefined) {
                  // A picked-up key: the new secret is released to its holder's next pickup alone.
                  return `Key rotated: the new secret waits for ${rolled.token.holder ?? "its holder"}'s pickup (tokenform pickup); the old one keeps working until then and through the overlap.`;
                }
                setSecret(rolled.secret);
                return "Key rotated: copy the new secret below.";
              })
            }
          >
            Rotate now
          </button>
        </>
      )}
    </div>
  );
}

function Rename({ token, onChanged, run, owner }: Props & { run: Runner; owner: string | undefined }) {
  const [name, setName] = useState(token.name);
  return (
    <form
      class="action"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          onChanged(await updateToken(token, { name: name.trim() }));
          return "Key renamed.";
        });
      }}
    >
      <h3>Rename</h3>
      {owner && (
        <p class="note">
          Managed by {owner}: the spec names this key; rename it there, or the next apply differs.
        </p>
      )}
      <label for="rename">New name</label>
      <input
        id="rename"
        value={name}
        required
        onInput={(e) => setName((e.target as HTMLInputElement).value)}
      />
      <button type="submit" disabled={name.trim() === token.name || name.trim() === ""}>
        Rename
      </button>
    </form>
  );
}

function Revoke({ token, run, owner }: Props & { run: Runner; owner: string | undefined }) {
  const [typed, setTyped] = useState("");
  return (
    <form
      class="action"
      onSubmit={(e) => {
        e.preventDefault();
        run(async () => {
          await deleteToken(token);
          location.hash = "#/tokens";
          return "Key revoked.";
        });
      }}
    >
      <h3>Revoke</h3>
      <p>Revoking deletes the key: every request with it is refused at once. This cannot be undone.</p>
      {owner && (
        <p class="note">
          Managed by {owner}: the next apply creates it again unless it is removed from the spec.
        </p>
      )}
      <label for="revoke-confirm">
        Type <strong>{token.name}</strong> to confirm
      </label>
      <input
        id="revoke-confirm"
        value={typed}
        autoComplete="off"
        onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
      />
      <button type="submit" class="danger" disabled={typed !== token.name}>
        Revoke key
      </button>
    </form>
  );
}

type Runner = (action: () => Promise<string>) => void;

export function Actions(props: Props) {
  const [message, setMessage] = useState("");
  const [failed, setFailed] = useState(false);
  const owner = ownerOf(props.token.labels);
  const run: Runner = (action) => {
    setMessage("");
    action().then(
      (done) => {
        setFailed(false);
        setMessage(done);
      },
      (error: Error) => {
        setFailed(true);
        setMessage(error.message);
        props.onReload();
      },
    );
  };
  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title">Actions</h2>
      <p class={failed ? "error" : "status"} role={failed ? "alert" : "status"}>
        {message}
      </p>
      <div class="action-grid">
        <Switch {...props} run={run} owner={owner} />
        <Rotate {...props} run={run} owner={owner} />
        <Rename {...props} run={run} owner={owner} />
        <Revoke {...props} run={run} owner={owner} />
      </div>
    </section>
  );
}
