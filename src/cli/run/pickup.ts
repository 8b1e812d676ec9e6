/**
 * `tokenform pickup` and `tokenform approve`: the two ends of a holder's pickup (src/service/pickups.ts).
 *
 * Pickup runs on the holder's machine: it opens a session for the keys waiting for the holder, shows the
 * user code (unless the holder's own key — the one `tokenform login` stored, or TOKENFORM_API_TOKEN —
 * approved it at once), polls until an admin approves or the code expires, writes each released key into
 * its MCP client's configuration (src/mcp-clients/write.ts: the rest of the file kept, atomic, mode 0600,
 * never a file git tracks), and confirms what it wrote. No key is printed, except on request with
 * `--env-reference`, where the configuration references an environment variable and the key is shown once
 * for the holder to keep.
 *
 * Approve runs on an admin's machine: it shows who asked for what, from where, and approves the code once
 * the admin confirms.
 */
import { homedir } from "node:os";
import type { OpenPickupResponse, PickedUpKey } from "../../api/client.js";
import { apiUrl as normaliseApiUrl } from "../../api/endpoint.js";
import { ApiError } from "../../api/errors.js";
import type { Pickup } from "../../api/schemas.js";
import { authVariable, type MachinePaths, readsEnvReferences } from "../../mcp-clients/clients.js";
import { writeClientConfig } from "../../mcp-clients/write.js";
import { pickupWhere } from "../../plan/pickup-words.js";
import { connect } from "../connect.js";
import { storedLogin } from "../credentials.js";
import { CliError } from "../errors.js";
import { confirm, type Io, processIo as terminalIo } from "./common.js";

/** Where pickup reads and writes (tests pass their own). */
export interface PickupIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The machine whose MCP client configurations are written. */
  machine: MachinePaths;
  /** Waits between polls (tests shorten it). */
  sleep: (ms: number) => Promise<void>;
}

const processIo = (): PickupIo => ({
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  machine: { home: homedir(), platform: process.platform, env: process.env },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});

export interface PickupOptions {
  holder: string;
  url?: string;
  account?: string;
  /** Reference the key as `${env:NAME}` in the configuration and print it once, instead of writing it. */
  envReference?: boolean;
}

/** The service URL: `--url`, else TOKENFORM_API_URL, else the service logged in to last. */
function serviceUrl(url: string | undefined, env: NodeJS.ProcessEnv): string {
  if (url !== undefined) return normaliseApiUrl(url, "--url", 2);
  if (env.TOKENFORM_API_URL) return normaliseApiUrl(env.TOKENFORM_API_URL, "TOKENFORM_API_URL");
  const current = storedLogin(undefined, env)?.url;
  if (current === undefined) {
    throw new CliError(
      "which token service?",
      2,
      "pass --url https://tokens.example.com (or set TOKENFORM_API_URL)",
    );
  }
  return current;
}

/** Polls until the session is approved and its keys are released; bounded by the session's expiry. */
async function waitForKeys(
  api: { claimPickup(deviceCode: string): Promise<PickedUpKey[]> },
  session: OpenPickupResponse,
  io: PickupIo,
): Promise<PickedUpKey[]> {
  const deadline = Date.parse(session.expiresAt);
  for (;;) {
    try {
      return await api.claimPickup(session.deviceCode);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === "authorization_pending")) {
        if (error instanceof ApiError && error.code === "expired_token") {
          throw new CliError(
            `pickup ${session.userCode} ended: ${error.message}`,
            1,
            "run tokenform pickup again",
          );
        }
        throw error;
      }
    }
    if (Date.now() >= deadline) {
      throw new CliError(
        `pickup ${session.userCode} expired before anyone approved it`,
        1,
        "run tokenform pickup again",
      );
    }
    await io.sleep(session.interval * 1000);
  }
}

export async function runPickup(options: PickupOptions, io: PickupIo = processIo()): Promise<number> {
  const url = serviceUrl(options.url, io.env);
  const ownKey = io.env.TOKENFORM_API_TOKEN || storedLogin(url, io.env)?.token;
  const { TokenformClient } = await import("../../api/client.js");
  // Polls are never retried by the client: a claim answered once must not be asked for twice.
  let api = new TokenformClient({ baseUrl: url, ...(ownKey ? { token: ownKey } : {}), retries: 0 });
  const request = {
    holder: options.holder,
    ...(options.account !== undefined ? { account: options.account } : {}),
  };
  try {
    let session: OpenPickupResponse;
    try {
      session = await api.openPickup(request);
    } catch (error) {
      // A stale login or variable must not block a pickup that needs no key: ask again without it.
      if (!(ownKey && error instanceof ApiError && error.status === 401)) throw error;
      io.stderr.write(
        `warning: the service refused your own key (${error.message}); asking without it, so an admin approves\n`,
      );
      await api.close();
      api = new TokenformClient({ baseUrl: url, retries: 0 });
      session = await api.openPickup(request);
    }
    const keys = session.tokens === 1 ? "1 key waits" : `${session.tokens} keys wait`;
    if (session.approved) {
      io.stderr.write(`${keys} for ${options.holder}; your own key approved the pickup.\n`);
    } else {
      io.stderr.write(
        `${keys} for ${options.holder}. Pickup code: ${session.userCode}\n` +
          `Ask an admin to approve it: tokenform approve ${session.userCode}\n` +
          `  (or on the dashboard: ${url}/ui/#/pickups/${session.userCode})\n` +
          `Waiting until ${session.expiresAt}…\n`,
      );
    }
    const released = await waitForKeys(api, session, io);
    const written: string[] = [];
    const failures: string[] = [];
    for (const key of released) {
      const where = pickupWhere(key.client, key.server);
      const variable =
        options.envReference && readsEnvReferences(key.client) ? authVariable(key.server) : undefined;
      try {
        const file = await writeClientConfig(key, key.key, {
          machine: io.machine,
          ...(variable ? { envReference: variable } : {}),
        });
        written.push(key.id);
        io.stdout.write(
          `${key.name}: written into ${where} (${file.path}${file.created ? ", created" : ""})\n`,
        );
        if (variable) {
          io.stdout.write(
            `  the configuration reads it from $${variable}; keep this value there: ${key.key.reveal()}\n`,
          );
        }
      } catch (error) {
        failures.push(`${key.name} (${where}): ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (written.length > 0) await api.confirmPickup(session.deviceCode, written);
    if (failures.length > 0) {
      throw new CliError(
        `${failures.length} key(s) could not be written: ${failures.join("; ")}`,
        1,
        "fix the file, then ask an admin to rotate the key (its secret was released once and is not kept)",
      );
    }
    if (released.length === 0) io.stdout.write("nothing left to pick up: the keys were released already\n");
    return 0;
  } finally {
    await api.close();
  }
}

/** An approver's view of a session, as lines. */
function describePickup(pickup: Pickup): string {
  const lines = [
    `pickup ${pickup.userCode} for ${pickup.holder} (account ${pickup.account}), asked from ${pickup.requesterIp ?? "an unknown address"}, ${pickup.state}`,
    ...pickup.tokens.map((t) => `  ${t.name} → ${pickupWhere(t.client, t.server)} (${t.url})`),
  ];
  return `${lines.join("\n")}\n`;
}

export interface ApproveOptions {
  code: string;
  embedded?: boolean;
  apiUrl?: string;
  /** Approve without asking (required when stdin is not a terminal). */
  autoApprove?: boolean;
}

/**
 * Shows the session first — who asked, from which address, for which keys — and approves only after the
 * approver says yes (or `--auto-approve`): the check a device flow relies on is the approver comparing
 * that with what the holder asked for. A code no longer waiting goes straight to the service, whose
 * answer says why it cannot be approved.
 */
export async function runApprove(options: ApproveOptions, io: Io = terminalIo()): Promise<number> {
  const connection = await connect({
    ...(options.embedded ? { embedded: true } : {}),
    ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
  });
  try {
    const seen = await connection.api.getPickup(options.code);
    io.stdout.write(describePickup(seen));
    const receives = seen.tokens.length === 1 ? "the key above" : `these ${seen.tokens.length} keys`;
    if (
      seen.state === "waiting" &&
      !(await confirm(
        io,
        `\nApprove? ${seen.holder}'s next poll receives ${receives}, once.`,
        options.autoApprove,
        "approve",
      ))
    ) {
      io.stdout.write("Not approved.\n");
      return 1;
    }
    const approved = await connection.api.approvePickup(options.code);
    io.stdout.write(
      `approved: ${approved.holder}'s next poll receives ${approved.tokens.length === 1 ? "the key" : `these ${approved.tokens.length} keys`}, once\n`,
    );
    return 0;
  } finally {
    await connection.close();
  }
}
