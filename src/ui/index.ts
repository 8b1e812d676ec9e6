/**
 * The dashboard in front of the management API: `withDashboard(api, …)` is the service's request listener,
 * sending `/ui` and `/ui/…` to the dashboard (src/ui/handler.ts) and everything else to the API as before.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { ProxyTrust } from "../service/client-address.js";
import type { Clock } from "../service/clock.js";
import type { Verifier } from "../service/verifier.js";
import { createUiHandler } from "./handler.js";
import { SessionStore } from "./session.js";

/** Dashboard settings (`ServiceOptions.ui`). */
export interface UiOptions {
  /** A session ends this many seconds after its last request (default 900 = 15 min). */
  sessionIdleSeconds?: number;
  /** A session ends this long after sign-in whatever the activity (default 28 800 = 8 h). */
  sessionMaxSeconds?: number;
}

export interface DashboardDeps {
  verifier: Verifier;
  logger: Logger;
  clock: Clock;
  proxyTrust: ProxyTrust;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** `api` with the dashboard mounted at `/ui/`. */
export function withDashboard(api: Listener, deps: DashboardDeps, options: UiOptions = {}): Listener {
  const ui = createUiHandler({
    api,
    verifier: deps.verifier,
    logger: deps.logger,
    proxyTrust: deps.proxyTrust,
    sessions: new SessionStore({
      clock: deps.clock,
      idleSeconds: options.sessionIdleSeconds,
      maxSeconds: options.sessionMaxSeconds,
    }),
  });
  return (req, res) => {
    const url = req.url ?? "/";
    if (url === "/ui" || url.startsWith("/ui/") || url.startsWith("/ui?")) ui(req, res);
    else api(req, res);
  };
}
