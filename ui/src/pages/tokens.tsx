/**
 * The token list: every key of the account with the columns people look for (name, type, prefix, status,
 * created, expires, last used, owner, destinations — or the holder whose pickup it waits for), searchable
 * (name, prefix, description, holder) and filterable by owner, type, status and label. Filters are applied
 * in the page over the whole list.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { listTokens, type Me } from "../api";
import { relative, waitingPickup, when } from "../format";
import { ownerOf, type Token } from "../types";
import { Failure, StatusBadge, useLoad } from "./common";

interface Filters {
  text: string;
  owner: string;
  type: string;
  status: string;
  label: string;
}

/** Whether `token` matches a label filter `k=v`, `k!=v`, `k` or `!k`. */
function labelMatches(token: Token, filter: string): boolean {
  const f = filter.trim();
  if (f === "") return true;
  if (f.startsWith("!")) return !(f.slice(1) in token.labels);
  const ne = f.indexOf("!=");
  if (ne > 0) return token.labels[f.slice(0, ne).trim()] !== f.slice(ne + 2).trim();
  const eq = f.indexOf("=");
  if (eq > 0) return token.labels[f.slice(0, eq).trim()] === f.slice(eq + 1).trim();
  return f in token.labels;
}

function matches(token: Token, f: Filters): boolean {
  const text = f.text.trim().toLowerCase();
  if (
    text &&
    ![token.name, token.displayPrefix, token.description, token.id, token.holder ?? ""].some((v) =>
      v.toLowerCase().includes(text),
    )
  )
    return false;
  const owner = ownerOf(token.labels);
  if (f.owner === "-" ? owner !== undefined : f.owner && owner !== f.owner) return false;
  if (f.type && token.type !== f.type) return false;
  if (f.status && token.status !== f.status) return false;
  return labelMatches(token, f.label);
}

/** Where a token's secret went, or the destinations it holds. */
export function destinationsOf(token: Token): string[] {
  const names = new Set(token.deliveries.map((d) => d.destination));
  for (const claim of token.destinations) names.add(claim);
  return [...names];
}

/** A picked-up key's destination: its holder's client, and whether a secret waits for them. */
function pickupOf(token: Token): string {
  const holder = token.holder ?? "its holder";
  return waitingPickup(token) ?? `picked up by ${holder} into ${token.pickup?.client ?? "an MCP client"}`;
}

function Row({ token }: { token: Token }) {
  const owner = ownerOf(token.labels);
  const destinations = destinationsOf(token);
  return (
    <tr>
      <td data-label="Name">
        <a href={`#/tokens/${encodeURIComponent(token.id)}`}>{token.name}</a>
      </td>
      <td data-label="Type">{token.type}</td>
      <td data-label="Prefix">
        <code>{token.displayPrefix}…</code>
      </td>
      <td data-label="Status">
        <StatusBadge status={token.status} />
      </td>
      <td data-label="Created" title={when(token.createdAt)}>
        {relative(token.createdAt)}
      </td>
      <td data-label="Expires" title={when(token.expiresAt)}>
        {relative(token.expiresAt)}
      </td>
      <td data-label="Last used" title={when(token.lastUsedAt)}>
        {relative(token.lastUsedAt)}
      </td>
      <td data-label="Owner">{owner ? `managed by ${owner}` : "unmanaged"}</td>
      <td data-label="Destinations">
        {[...destinations, ...(token.pickup ? [pickupOf(token)] : [])].join(", ") || "—"}
      </td>
    </tr>
  );
}

function Select(props: {
  id: string;
  label: string;
  value: string;
  options: string[][];
  set: (v: string) => void;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.set((e.target as HTMLSelectElement).value)}
      >
        {props.options.map(([value, text]) => (
          <option value={value}>{text}</option>
        ))}
      </select>
    </div>
  );
}

export function TokensPage({ who }: { who: Me }) {
  const load = useLoad(listTokens, []);
  const [f, setF] = useState<Filters>({ text: "", owner: "", type: "", status: "", label: "" });
  const set = (key: keyof Filters) => (value: string) => setF((old) => ({ ...old, [key]: value }));
  const tokens = load.value ?? [];
  const owners = useMemo(
    () => [...new Set(tokens.map((t) => ownerOf(t.labels)).filter((o): o is string => !!o))].sort(),
    [tokens],
  );
  const shown = tokens.filter((t) => matches(t, f));
  useEffect(() => {
    document.title = "Tokens · tokenform";
  }, []);
  return (
    <section aria-labelledby="tokens-title">
      <div class="heading">
        <h1 id="tokens-title">Tokens</h1>
        {who.canWrite && (
          <a class="button" href="#/new">
            New key
          </a>
        )}
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field grow">
          <label for="f-text">Search</label>
          <input
            id="f-text"
            type="search"
            placeholder="name, prefix or description"
            value={f.text}
            onInput={(e) => set("text")((e.target as HTMLInputElement).value)}
          />
        </div>
        <Select
          id="f-owner"
          label="Owner"
          value={f.owner}
          set={set("owner")}
          options={[["", "Any"], ["-", "Unmanaged"], ...owners.map((o) => [o, o])]}
        />
        <Select
          id="f-type"
          label="Type"
          value={f.type}
          set={set("type")}
          options={[
            ["", "Any"],
            ["mcp", "mcp"],
            ["agent", "agent"],
            ["admin", "admin"],
          ]}
        />
        <Select
          id="f-status"
          label="Status"
          value={f.status}
          set={set("status")}
          options={[
            ["", "Any"],
            ["active", "active"],
            ["pending", "pending"],
            ["disabled", "disabled"],
            ["expired", "expired"],
          ]}
        />
        <div class="field">
          <label for="f-label">Label</label>
          <input
            id="f-label"
            placeholder="team=platform"
            value={f.label}
            onInput={(e) => set("label")((e.target as HTMLInputElement).value)}
          />
        </div>
      </form>
      <Failure error={load.error} />
      {load.value && (
        <p class="count" role="status">
          {shown.length} of {tokens.length} keys
        </p>
      )}
      <div class="table-wrap">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Prefix</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Owner</th>
              <th scope="col">Destinations</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <Row key={t.id} token={t} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
