/** The audit log, filterable by actor, action and token; and the table the token page reuses. */
import { useEffect, useState } from "preact/hooks";
import { listAudit } from "../api";
import { when } from "../format";
import type { AuditEntry } from "../types";
import { Failure, useLoad } from "./common";

function changesOf(entry: AuditEntry): string {
  return Object.entries(entry.changes)
    .map(([field, { from, to }]) => `${field}: ${JSON.stringify(from) ?? "—"} → ${JSON.stringify(to) ?? "—"}`)
    .join("; ");
}

export function AuditTable({ entries, showTarget }: { entries: AuditEntry[]; showTarget: boolean }) {
  if (entries.length === 0) return <p>No entries.</p>;
  return (
    <div class="table-wrap">
      <table class="list audit">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            {showTarget && <th scope="col">Token</th>}
            <th scope="col">Changes</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td data-label="When">{when(e.at)}</td>
              <td data-label="Actor">{e.actor}</td>
              <td data-label="Action">
                <code>{e.action}</code>
              </td>
              {showTarget && (
                <td data-label="Token">
                  {e.targetId ? (
                    <a href={`#/tokens/${encodeURIComponent(e.targetId)}`}>{e.targetName ?? e.targetId}</a>
                  ) : (
                    "—"
                  )}
                </td>
              )}
              <td data-label="Changes" class="changes">
                {changesOf(e) || "—"}
              </td>
              <td data-label="From">{e.sourceIp ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function distinct(values: string[]): string[] {
  return [...new Set(values)].sort();
}

export function AuditPage() {
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [token, setToken] = useState("");
  // Actor and action are filtered by the API (over the whole log); the token text in the page.
  const load = useLoad(() => listAudit({ actor, action }), [actor, action]);
  // The choices offered: every actor and action seen in any list loaded on this page so far.
  const [known, setKnown] = useState<{ actors: string[]; actions: string[] }>({ actors: [], actions: [] });
  useEffect(() => {
    document.title = "Audit log · tokenform";
  }, []);
  useEffect(() => {
    const loaded = load.value ?? [];
    setKnown((k) => ({
      actors: distinct([...k.actors, ...loaded.map((e) => e.actor)]),
      actions: distinct([...k.actions, ...loaded.map((e) => e.action)]),
    }));
  }, [load.value]);
  const entries = load.value ?? [];
  const needle = token.trim().toLowerCase();
  const shown = entries.filter(
    (e) => !needle || (e.targetName ?? "").toLowerCase().includes(needle) || e.targetId === token.trim(),
  );
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="a-actor">Actor</label>
          <select
            id="a-actor"
            value={actor}
            onChange={(e) => setActor((e.target as HTMLSelectElement).value)}
          >
            <option value="">Any</option>
            {known.actors.map((a) => (
              <option value={a}>{a}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="a-action">Action</label>
          <select
            id="a-action"
            value={action}
            onChange={(e) => setAction((e.target as HTMLSelectElement).value)}
          >
            <option value="">Any</option>
            {known.actions.map((a) => (
              <option value={a}>{a}</option>
            ))}
          </select>
        </div>
        <div class="field grow">
          <label for="a-token">Token</label>
          <input
            id="a-token"
            type="search"
            placeholder="name or id"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          />
        </div>
      </form>
      <Failure error={load.error} />
      {load.value && (
        <p class="count" role="status">
          {shown.length} of {entries.length} entries (newest first)
        </p>
      )}
      {load.value && <AuditTable entries={shown} showTarget={true} />}
    </section>
  );
}
