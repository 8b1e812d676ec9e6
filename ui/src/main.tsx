/**
 * The dashboard's browser entry: signs in (or finds the session), then shows the page the URL's hash
 * names — `#/tokens`, `#/tokens/<id>`, `#/new`, `#/pickups`, `#/pickups/<code>`, `#/audit`, `#/hygiene`.
 * A request that finds the session gone sends the person back to sign-in with the reason.
 */
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type Me, me, signOut, whenSignedOut } from "./api";
import { AuditPage } from "./pages/audit";
import { CreatePage } from "./pages/create";
import { HygienePage } from "./pages/hygiene";
import { PickupsPage } from "./pages/pickups";
import { SignIn } from "./pages/signin";
import { TokenPage } from "./pages/token";
import { TokensPage } from "./pages/tokens";

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return hash;
}

const NAV: Array<[string, string]> = [
  ["#/tokens", "Tokens"],
  ["#/pickups", "Pickups"],
  ["#/hygiene", "Hygiene"],
  ["#/audit", "Audit log"],
];

function Page({ hash, who }: { hash: string; who: Me }) {
  const path = hash.replace(/^#/, "") || "/tokens";
  const token = /^\/tokens\/([^/?]+)$/.exec(path);
  if (token) return <TokenPage id={decodeURIComponent(token[1]!)} who={who} />;
  if (path === "/new" && who.canWrite) return <CreatePage />;
  const pickup = /^\/pickups(?:\/([^/?]+))?$/.exec(path);
  if (pickup) {
    const code = decodeURIComponent(pickup[1] ?? "");
    return <PickupsPage key={code} code={code} who={who} />;
  }
  if (path === "/audit") return <AuditPage />;
  if (path === "/hygiene") return <HygienePage />;
  return <TokensPage who={who} />;
}

function App() {
  const [who, setWho] = useState<Me | null | undefined>(undefined);
  const [notice, setNotice] = useState("");
  const hash = useHash();
  useEffect(() => {
    whenSignedOut((message) => {
      setNotice(message);
      setWho(null);
    });
    me().then(setWho, () => setWho(null));
  }, []);
  useEffect(() => {
    const main = document.getElementById("main");
    main?.focus();
  }, [hash]);
  if (who === undefined) return <p class="loading">Loading…</p>;
  if (who === null)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(w) => {
          setNotice("");
          setWho(w);
        }}
      />
    );
  const current = `#${(hash.replace(/^#/, "") || "/tokens").split("/").slice(0, 2).join("/")}`;
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <span class="brand">tokenform</span>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <a href={href} aria-current={current === href ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          <span title={who.scopes.join(", ")}>
            {who.name} · {who.account}
            {who.canWrite ? "" : " (read only)"}
          </span>
          <button
            type="button"
            class="link"
            onClick={async () => {
              await signOut().catch(() => undefined);
              setNotice("You have signed out.");
              setWho(null);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page hash={hash} who={who} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
