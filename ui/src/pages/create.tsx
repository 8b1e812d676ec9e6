/** Creating an unmanaged key (one no spec manages): its secret is shown once. */
import { useEffect, useState } from "preact/hooks";
import { createToken } from "../api";
import type { Token } from "../types";
import { Failure, SecretOnce } from "./common";

function field(form: HTMLFormElement, name: string): string {
  return (form.elements.namedItem(name) as HTMLInputElement).value.trim();
}

export function CreatePage() {
  const [created, setCreated] = useState<{ token: Token; secret: string } | undefined>(undefined);
  const [error, setError] = useState("");
  useEffect(() => {
    document.title = "New key · tokenform";
  }, []);
  async function submit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const scopes = field(form, "scopes");
    const expiresIn = field(form, "expiresIn");
    const input: Record<string, unknown> = {
      name: field(form, "name"),
      type: field(form, "type"),
      description: field(form, "description"),
      readOnly: (form.elements.namedItem("readOnly") as HTMLInputElement).checked,
    };
    if (scopes) input.scopes = scopes.split(/[\s,]+/).filter(Boolean);
    if (expiresIn) input.expiresIn = expiresIn;
    try {
      setError("");
      setCreated(await createToken(input));
    } catch (failure) {
      setError((failure as Error).message);
    }
  }
  if (created) {
    return (
      <section aria-labelledby="new-title">
        <h1 id="new-title">Key {created.token.name} created</h1>
        <SecretOnce
          secret={created.secret}
          onDone={() => (location.hash = `#/tokens/${encodeURIComponent(created.token.id)}`)}
        />
      </section>
    );
  }
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">New key</h1>
      <p>
        An unmanaged key: no spec manages it, and its secret is shown here once. Keys delivered to CI or
        secret stores belong in a spec.
      </p>
      <form class="create" onSubmit={submit}>
        <label for="c-name">Name</label>
        <input id="c-name" name="name" required maxLength={128} />
        <label for="c-type">Type</label>
        <select id="c-type" name="type">
          <option value="mcp">mcp — a person's MCP client</option>
          <option value="agent">agent — an automated agent</option>
          <option value="admin">admin — the management API</option>
        </select>
        <label for="c-scopes">Scopes (comma-separated; empty = the type's default)</label>
        <input id="c-scopes" name="scopes" placeholder="tools:call, resources:read" />
        <label for="c-expires">Expires in (e.g. 90d; empty = never)</label>
        <input id="c-expires" name="expiresIn" placeholder="90d" />
        <label for="c-description">Description</label>
        <input id="c-description" name="description" maxLength={500} />
        <div class="check">
          <input id="c-readonly" name="readOnly" type="checkbox" />
          <label for="c-readonly">Read only</label>
        </div>
        <button type="submit">Create key</button>
        <Failure error={error} />
      </form>
    </section>
  );
}
