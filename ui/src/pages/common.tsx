/** Pieces every page uses: loading data, showing a failure, a status badge, a copy-once secret. */
import { useCallback, useEffect, useState } from "preact/hooks";

export interface Load<T> {
  value: T | undefined;
  error: string;
  reload: () => void;
}

/** Runs `fetcher` when `deps` change; `reload()` runs it again. */
export function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[]): Load<T> {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState("");
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    fetcher().then(
      (v) => {
        if (!live) return;
        setValue(v);
        setError("");
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { value, error, reload };
}

export function Failure({ error }: { error: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge ${status}`}>{status}</span>;
}

/** A new secret, shown this once, with a copy button; `onDone` forgets it. */
export function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section class="secret" aria-label="Secret shown once">
      <p>
        <strong>Copy the new secret now.</strong> It is shown only this once; the service keeps only its
        digest.
      </p>
      <div class="secret-row">
        <label for="new-secret" class="visually-hidden">
          New secret
        </label>
        <input
          id="new-secret"
          readOnly
          value={secret}
          onFocus={(e) => (e.target as HTMLInputElement).select()}
        />
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(secret).catch(() => undefined);
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <button type="button" class="secondary" onClick={onDone}>
        I have stored it
      </button>
    </section>
  );
}
