/**
 * The local file sink: `KEY=value` lines merged into an env file (format `env`) or the bare secret
 * (format `raw`), written 0600 by atomic replace, and refused inside a git work tree unless git ignores
 * the path (a secret must never be one `git add .` away from a commit).
 *
 * Calls for the same path are serialised within this sink, so concurrent deliveries of different keys to
 * one env file do not lose each other's writes. Another process editing the file at the same moment is
 * not guarded against. A symlink at the path is replaced by a regular file, never written through.
 */
import { readFile, unlink } from "node:fs/promises";
import { fingerprintOf, type SecretValue } from "../../api/secret.js";
import { destinationId, type FileDestination } from "../../spec/resolved.js";
import { type SinkLogger, silentLogger } from "../logger.js";
import { scrub } from "../redact.js";
import {
  type DeliveryContext,
  DeliveryError,
  type DeliveryReceipt,
  type DestinationState,
  type RecordedDelivery,
  type Sink,
} from "../types.js";
import { writeFileAtomic } from "./atomic.js";
import { envValue, removeEnvKey, upsertEnvKey } from "./env-file.js";
import { gitPlacement, ToplevelCache } from "./git-guard.js";

/** Options of `FileSink`. */
export interface FileSinkOptions {
  logger?: SinkLogger;
}

/** File system error codes that may clear up on their own (a re-run may help). */
const TRANSIENT_CODES = new Set(["EAGAIN", "EBUSY", "EMFILE", "ENFILE", "ETIMEDOUT"]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    throw error;
  }
}

export class FileSink implements Sink<FileDestination> {
  readonly kind = "file" as const;
  readonly #logger: SinkLogger;
  /** The tail of the queue of operations per path. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Work-tree answers per directory, so writing many files to one place asks git once. */
  readonly #toplevels = new ToplevelCache();

  constructor(options: FileSinkOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
  }

  deliver(d: FileDestination, secret: SecretValue, context: DeliveryContext): Promise<DeliveryReceipt> {
    const destination = destinationId(d);
    return this.#serial(d.path, async () => {
      await this.#guard(d, destination);
      const outcome = await this.#fs(d, destination, "write", [secret.reveal()], async () => {
        if (d.format === "raw") {
          const existed = (await readIfExists(d.path)) !== undefined;
          await writeFileAtomic(d.path, secret.reveal());
          return existed ? "updated" : "created";
        }
        const merged = upsertEnvKey((await readIfExists(d.path)) ?? "", d.key, secret.reveal());
        await writeFileAtomic(d.path, merged.content);
        return merged.existed ? "updated" : "created";
      });
      this.#logger.info(
        { sink: "file", destination, fingerprint: secret.fingerprint, outcome, token: context.tokenName },
        "wrote secret to file",
      );
      return { destination, deliveredAt: new Date().toISOString(), outcome };
    });
  }

  /** A file holds tokenform's delivery when its value (the whole raw file, or the env key's) has the recorded fingerprint. */
  inspect(
    d: FileDestination,
    delivery: RecordedDelivery,
    _context: DeliveryContext,
  ): Promise<DestinationState> {
    const destination = destinationId(d);
    return this.#serial(d.path, () =>
      this.#fs(d, destination, "read", [], async (): Promise<DestinationState> => {
        const content = await readIfExists(d.path);
        if (content === undefined) return { holds: false, reason: "the file no longer exists" };
        const value = d.format === "raw" ? content : envValue(content, d.key);
        if (value === undefined) return { holds: false, reason: `the file no longer sets ${d.key}` };
        if (
          fingerprintOf(value) !== delivery.fingerprint &&
          fingerprintOf(value.trim()) !== delivery.fingerprint
        ) {
          return {
            holds: false,
            reason: d.format === "raw" ? "the file holds another value" : `${d.key} holds another value`,
          };
        }
        return { holds: true };
      }),
    );
  }

  remove(d: FileDestination, context: DeliveryContext): Promise<void> {
    const destination = destinationId(d);
    return this.#serial(d.path, () =>
      this.#fs(d, destination, "remove the secret from", [], async () => {
        const content = await readIfExists(d.path);
        if (content === undefined) return;
        const left = d.format === "raw" ? undefined : removeEnvKey(content, d.key);
        if (left && !left.existed) return;
        // A raw file, or an env file with nothing but blank lines left, is deleted; otherwise rewritten.
        if (!left || left.content.trim() === "") {
          await unlink(d.path).catch((error: unknown) => {
            if (codeOf(error) !== "ENOENT") throw error;
          });
        } else {
          await writeFileAtomic(d.path, left.content);
        }
        this.#logger.info(
          { sink: "file", destination, token: context.tokenName },
          "removed secret from file",
        );
      }),
    );
  }

  /** Refuses a path inside a git work tree unless git ignores it. */
  async #guard(d: FileDestination, destination: string): Promise<void> {
    const placement = await gitPlacement(d.path, this.#toplevels);
    switch (placement.kind) {
      case "outside":
      case "ignored":
        return;
      case "tracked-area":
        throw new DeliveryError(
          destination,
          `refusing to write a secret to ${d.path}: it is inside the git work tree ${placement.root} and not ` +
            "git-ignored; add it to .gitignore or choose a path outside the repository",
        );
      case "unknown":
        throw new DeliveryError(
          destination,
          `refusing to write a secret to ${d.path}: could not tell whether git would track it (${placement.reason})`,
        );
    }
  }

  /** Runs a file system operation, turning its errors into DeliveryErrors naming the path and the code. */
  async #fs<T>(
    d: FileDestination,
    destination: string,
    verb: string,
    secrets: string[],
    op: () => Promise<T>,
  ): Promise<T> {
    try {
      return await op();
    } catch (error) {
      if (error instanceof DeliveryError) throw error;
      const code = codeOf(error);
      const text = error instanceof Error ? scrub(error.message, secrets) : "unknown error";
      throw new DeliveryError(
        destination,
        `could not ${verb} ${d.path}: ${code ?? text}${code === "EACCES" || code === "EPERM" ? " (permission denied)" : ""}`,
        undefined,
        code !== undefined && TRANSIENT_CODES.has(code),
      );
    }
  }

  /** Runs `op` after every earlier operation on the same path has settled. */
  #serial<T>(path: string, op: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(path) ?? Promise.resolve();
    const next = previous.then(op, op);
    const tail = next.catch(() => {});
    this.#queues.set(path, tail);
    void tail.then(() => {
      if (this.#queues.get(path) === tail) this.#queues.delete(path);
    });
    return next;
  }
}
