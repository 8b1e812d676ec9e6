/**
 * Sign-in: an admin key pasted into a password field, sent once to `/ui/session` and cleared from the
 * form; the service answers with an HttpOnly session cookie. Nothing is stored in the browser.
 */
import { useState } from "preact/hooks";
import { type Me, signIn } from "../api";

export function SignIn({ notice, onSignedIn }: { notice: string; onSignedIn: (who: Me) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = form.elements.namedItem("key") as HTMLInputElement;
    const key = field.value;
    field.value = "";
    setBusy(true);
    setError("");
    try {
      onSignedIn(await signIn(key));
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main id="main" class="signin" tabIndex={-1}>
      <h1>tokenform</h1>
      <p>
        Sign in with an admin key of your account. It is exchanged for a short session and kept only by the
        service.
      </p>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label for="key">Admin key</label>
        <input
          id="key"
          name="key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          placeholder="mcp_adm_…"
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
