/**
 * `McpGuard`: the decision in front of an MCP Streamable HTTP endpoint, shared by `tokenformAuth` (the
 * middleware), the SDK helper (`tokenform/mcp`) and `tokenform gateway`. Per request, before any server
 * code runs:
 *
 * 1. the key is found in the headers (401 when missing or malformed);
 * 2. a POST body is read (bounded, 413 beyond) and parsed into its JSON-RPC message(s) (400 with a
 *    JSON-RPC parse or invalid-request error), and 2026-07-28 `Mcp-Method` / `Mcp-Name` headers must agree
 *    with it (400, `HeaderMismatch`);
 * 3. each message is classified through the method table (`methods.ts`): scopes, read or write — a
 *    `tools/call` reads only when the server declares the tool `readOnlyHint: true` — and the tool it calls;
 * 4. one verification asks the token service for all of it at once: status, IP allowlist, signature, rate
 *    limit (one request = one count), scopes, tool allowlist, read-only rule;
 * 5. a list the key may not use (`tools/list` without `tools:call`, …) is answered empty by the guard.
 *
 * A batch (2025-03-26 clients) passes only when every message in it may; otherwise none of it runs. `GET`
 * (a server-to-client stream) and `DELETE` (ending a session) need a valid key and no scope; any other
 * HTTP method counts as a write. A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) carries
 * no credentials by design and passes untouched.
 */
import type { IncomingMessage } from "node:http";
import { displayPrefixOf, fingerprintOf } from "../api/secret.js";
import type { VerifiedKey } from "../service/cache.js";
import { clientAddress, NO_PROXY_TRUST, type ProxyTrust } from "../service/client-address.js";
import { credentialFromHeaders } from "../service/credentials.js";
import { readBody } from "../service/http/body.js";
import { type SignedRequest, signedPathOf } from "../service/signing.js";
import type { Verdict } from "../service/verifier.js";
import { MAX_MCP_BODY_BYTES } from "../spec/limits.js";
import { headerMismatch } from "./headers.js";
import { errorResponse, JSONRPC_ERRORS, type JsonRpcMessage, parseMessages } from "./jsonrpc.js";
import { classifyMessage, type ListKind, type MessageNeeds, type ToolHints } from "./methods.js";
import { emptyListResult, mayList } from "./policy.js";
import {
  type HttpAnswer,
  jsonAnswer,
  type RecentRefusal,
  type RefusalContext,
  refusalAnswer,
  registrationAnswer,
  unavailableAnswer,
} from "./refusals.js";

/** Default largest MCP POST body (src/spec/limits.ts). */
export const DEFAULT_MCP_BODY_LIMIT = MAX_MCP_BODY_BYTES;

/** What one verification asks of the token service. */
export interface GuardVerifyInput {
  token: string;
  ip: string | undefined;
  scopes: readonly string[];
  write: boolean;
  tools: readonly string[];
  signed?: SignedRequest;
}

/** Verifies a key (in-process or remotely). Throws only when the service cannot answer (→ 503). */
export type GuardVerify = (input: GuardVerifyInput) => Promise<Verdict>;

/** Where the guard learns what a server declares about its tools. */
export interface ToolCatalog {
  /** A tool's annotations; undefined when it declares none or the tool is unknown (then it writes). */
  hints(name: string): ToolHints | undefined;
  /** Called before calls of `names` are classified: a catalog can refresh itself when one is unknown. */
  prepare?(names: readonly string[]): Promise<void> | void;
}

export interface McpGuardOptions {
  verify: GuardVerify;
  /** The server's tool annotations (none: every tool call counts as a write). */
  catalog?: ToolCatalog;
  /** Scopes every request needs in addition to the method's (or a function of the request). */
  scopes?: readonly string[] | ((req: IncomingMessage) => readonly string[]);
  /** Largest POST body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** How far `X-Forwarded-For` is believed (default: not at all, the TCP peer is the client). */
  proxyTrust?: ProxyTrust;
  /** How refusals name the protected resource (`resource_metadata` in `WWW-Authenticate`). */
  refusal?: RefusalContext;
}

/** The guard's decision for one request. */
export type GuardOutcome =
  /** Refused: send `answer`; nothing else runs. */
  | { kind: "refused"; answer: HttpAnswer }
  /** Allowed, and already answered by the guard (a list the key may not use, answered empty). */
  | { kind: "answered"; answer: HttpAnswer; key: VerifiedKey }
  /** Allowed: hand the request to the server. */
  | {
      kind: "allowed";
      key: VerifiedKey;
      verdict: Extract<Verdict, { valid: true }>;
      /** The parsed POST body (absent for GET/DELETE); hand it on, the stream has been read. */
      body?: unknown;
      /** The body bytes as received. */
      raw?: Buffer;
      /** What each message needs, in body order. */
      messages: MessageNeeds[];
      /** Requests whose results are lists the key sees filtered (by id). */
      lists: Map<string | number, ListKind>;
    }
  /** A CORS preflight: pass on without a key. */
  | { kind: "preflight" };

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

const NO_SCOPES: readonly string[] = [];
/** How long the reason for a refused key is kept for the `/register` explainer. */
const RECENT_MS = 60_000;
/** Keys whose last refusal is kept at most (oldest dropped first). */
const RECENT_MAX = 10_000;

export class McpGuard {
  readonly #verify: GuardVerify;
  readonly #catalog: ToolCatalog | undefined;
  readonly #scopes: McpGuardOptions["scopes"];
  readonly #bodyLimit: number;
  readonly #trust: ProxyTrust;
  readonly #refusal: RefusalContext;
  /** Why keys were refused lately, by key fingerprint (never the key). */
  readonly #recent = new Map<string, RecentRefusal & { at: number }>();

  constructor(options: McpGuardOptions) {
    this.#verify = options.verify;
    this.#catalog = options.catalog;
    this.#scopes = options.scopes;
    this.#bodyLimit = options.bodyLimit ?? DEFAULT_MCP_BODY_LIMIT;
    this.#trust = options.proxyTrust ?? NO_PROXY_TRUST;
    this.#refusal = options.refusal ?? {};
  }

  /**
   * The client's address as the guard sees it (the TCP peer, or `X-Forwarded-For` as far as it is
   * trusted); undefined when it cannot be known safely.
   */
  clientIp(req: IncomingMessage): string | undefined {
    return clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], this.#trust);
  }

  /**
   * The answer to `POST /register` (OAuth dynamic client registration, which mcp-remote and OAuth-capable
   * clients try after a 401): an explanation that names why this request's key was refused, if it was.
   */
  registration(req: IncomingMessage): HttpAnswer {
    const credential = credentialFromHeaders(req.headers);
    if (credential.kind !== "key") return registrationAnswer(false, undefined);
    const recent = this.#recent.get(fingerprintOf(credential.key));
    return registrationAnswer(true, recent && Date.now() - recent.at <= RECENT_MS ? recent : undefined);
  }

  #remember(key: string, refusal: Extract<Verdict, { valid: false }>, scopes: readonly string[]): void {
    const id = fingerprintOf(key);
    this.#recent.delete(id);
    this.#recent.set(id, {
      prefix: displayPrefixOf(key),
      code: refusal.code,
      message: refusal.message,
      scopes,
      at: Date.now(),
    });
    if (this.#recent.size > RECENT_MAX) this.#recent.delete(this.#recent.keys().next().value!);
  }

  /** Decides one request. Reads the body of a POST (the caller must not read it again). */
  async check(req: IncomingMessage, preread?: Buffer): Promise<GuardOutcome> {
    const method = (req.method ?? "GET").toUpperCase();
    if (method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      return { kind: "preflight" };
    }
    const context = this.#refusal;
    const credential = credentialFromHeaders(req.headers);
    if (credential.kind !== "key")
      return { kind: "refused", answer: refusalAnswer(credentialRefusal(credential.kind), context) };

    const read = method === "POST" ? await this.#readMessages(req, preread) : NO_MESSAGES;
    if (!read.ok) return { kind: "refused", answer: read.answer };
    const { messages, batch, body, raw } = read;

    const toolNames = messages.flatMap((m) =>
      m.method === "tools/call" && typeof m.params?.name === "string" ? [m.params.name] : [],
    );
    if (toolNames.length > 0) await this.#catalog?.prepare?.(toolNames);
    const catalog = this.#catalog;
    const hints = (name: string) => catalog?.hints(name);
    const needs = messages.map((m) => classifyMessage(m, hints));
    // One verification for the whole request. A lone list message is verified without its feature's
    // scope: a key that lacks it gets the list empty rather than a refusal.
    const lone = !batch && needs.length === 1 ? needs[0]! : undefined;
    const input = this.#verifyInput(req, method, credential.key, needs, lone, raw);
    const id = lone?.id;
    let verdict: Verdict;
    try {
      verdict = await this.#verify(input);
    } catch {
      return { kind: "refused", answer: unavailableAnswer("jsonrpc", id) };
    }
    if (!verdict.valid) {
      const answer = refusalAnswer(verdict, { ...context, scopes: input.scopes, id });
      if (answer.status === 401 || verdict.code === "INSUFFICIENT_SCOPE") {
        this.#remember(credential.key, verdict, input.scopes);
      }
      return { kind: "refused", answer };
    }
    const key = verdict.token;

    if (lone?.list !== undefined && !mayList(key, lone.list)) {
      const version = single(req.headers["mcp-protocol-version"]);
      return {
        kind: "answered",
        key,
        answer: jsonAnswer(200, {
          jsonrpc: "2.0",
          id: lone.id ?? null,
          result: emptyListResult(lone.list, version),
        }),
      };
    }
    const lists = new Map<string | number, ListKind>();
    for (const need of needs)
      if (need.list !== undefined && need.id !== undefined) lists.set(need.id, need.list);
    const allowed: GuardOutcome = { kind: "allowed", key, verdict, messages: needs, lists };
    if (raw !== undefined) {
      allowed.raw = raw;
      allowed.body = body;
    }
    return allowed;
  }

  /** Reads and parses a POST's JSON-RPC messages, checking them against the MCP headers. */
  async #readMessages(req: IncomingMessage, preread: Buffer | undefined): Promise<ReadMessages> {
    let raw: Buffer;
    try {
      raw = preread ?? (await readBody(req, this.#bodyLimit));
    } catch (error) {
      return { ok: false, answer: bodyFailure(error, this.#bodyLimit) };
    }
    const parsed = parseMessages(raw);
    if (!parsed.ok) {
      return { ok: false, answer: jsonAnswer(400, errorResponse(null, parsed.code, parsed.message)) };
    }
    const mismatch = headerMismatch(req.headers, parsed.messages, parsed.batch);
    if (mismatch !== undefined) {
      const id = parsed.batch ? null : parsed.messages[0]!.id;
      return {
        ok: false,
        answer: jsonAnswer(400, errorResponse(id, JSONRPC_ERRORS.headerMismatch, mismatch)),
      };
    }
    return { ok: true, messages: parsed.messages, batch: parsed.batch, body: parsed.body, raw };
  }

  /** The one verification a request needs: every message's scopes, write and tools, and its signature. */
  #verifyInput(
    req: IncomingMessage,
    method: string,
    token: string,
    needs: readonly MessageNeeds[],
    lone: MessageNeeds | undefined,
    raw: Buffer | undefined,
  ): GuardVerifyInput {
    // Beyond POST (messages), GET (a server stream) and DELETE (a session's end), MCP defines no method:
    // anything else counts as a write, as an unknown MCP method does.
    const foreign = method !== "POST" && method !== "GET" && method !== "HEAD" && method !== "DELETE";
    const scopes = new Set<string>(
      typeof this.#scopes === "function" ? this.#scopes(req) : (this.#scopes ?? NO_SCOPES),
    );
    for (const need of needs) {
      if (need === lone && need.list !== undefined) continue;
      for (const scope of need.scopes) scopes.add(scope);
    }
    const signatureHeader = single(req.headers["x-mcp-signature"]);
    const input: GuardVerifyInput = {
      token,
      ip: this.clientIp(req),
      scopes: [...scopes],
      write: foreign || needs.some((n) => n.write),
      tools: [...new Set(needs.flatMap((n) => (n.tool === undefined ? [] : [n.tool])))],
    };
    if (signatureHeader !== undefined) {
      input.signed = {
        timestamp: single(req.headers["x-mcp-timestamp"]),
        signature: signatureHeader,
        method,
        path: signedPathOf(req),
        body: raw ?? Buffer.alloc(0),
      };
    }
    return input;
  }
}

/** A request's JSON-RPC messages, or the answer that refuses it. */
type ReadMessages =
  | { ok: true; messages: JsonRpcMessage[]; batch: boolean; body: unknown; raw: Buffer | undefined }
  | { ok: false; answer: HttpAnswer };

/** What a request other than POST carries: no messages. */
const NO_MESSAGES: ReadMessages = Object.freeze({
  ok: true,
  messages: [],
  batch: false,
  body: undefined,
  raw: undefined,
});

/** The refusal for a request without a usable credential. */
export function credentialRefusal(kind: "missing" | "malformed"): Extract<Verdict, { valid: false }> {
  return kind === "missing"
    ? { valid: false, code: "MISSING", message: "no API key was sent" }
    : {
        valid: false,
        code: "MALFORMED",
        message:
          "send the key as 'Authorization: Bearer <key>', 'Authorization: Api-Token <key>' or 'X-API-Key: <key>'",
      };
}

function bodyFailure(error: unknown, limit: number): HttpAnswer {
  const tooLarge =
    error instanceof Error && "code" in error && (error as { code: unknown }).code === "payload_too_large";
  return tooLarge
    ? jsonAnswer(
        413,
        errorResponse(null, JSONRPC_ERRORS.invalidRequest, `Request body exceeds the ${limit}-byte limit`),
        { Connection: "close" },
      )
    : jsonAnswer(400, errorResponse(null, JSONRPC_ERRORS.invalidRequest, "The request body was cut off"));
}
