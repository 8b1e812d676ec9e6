/**
 * The secrets a run holds — a CLI command, an Action run — so that `maskSecrets`
 * (src/api/secret.ts) masks them by value, and the listeners that want to hear of each (the Action hands
 * them to `core.setSecret`). A run opens its scope with `withSecretScope`; code it starts, synchronously
 * or asynchronously, registers into and masks with that run's registry (Node's AsyncLocalStorage carries
 * it). Code outside any run uses one process registry: a server (`serve`, `gateway`) opens no scope, since
 * on Node 20 any AsyncLocalStorage use hooks every promise of the process and halved awaited verify, and
 * an embedded service belongs to the run that started it. A run opened inside another also registers into
 * the enclosing one and masks what the enclosing one knows.
 *
 * Bounded: a registry keeps the last `SECRET_REGISTRY_CAPACITY` secrets registered; the oldest go first.
 * What an evicted tokenform key looks like is still masked by its shape (checksum and known prefixes);
 * only the value-match of an old secret of another shape is lost, after that many newer ones.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Secrets a registry keeps. Masking compares a line against each, so the bound is also the cost bound;
 * 10,000 covers a large spec's issued keys in one run (the 10,000-token sets the benchmarks use).
 */
export const SECRET_REGISTRY_CAPACITY = 10_000;

/** What a registry needs of a secret: its raw value. */
export interface RegisteredSecret {
  reveal(): string;
}

/** Called with every secret registered in a run (and in the runs opened inside it). */
export type RegistryListener = (secret: RegisteredSecret) => void;

/** One run's secrets, newest last. */
export class SecretRegistry {
  readonly #raw = new Set<string>();
  readonly #listeners = new Set<RegistryListener>();
  readonly #capacity: number;
  readonly #parent: SecretRegistry | undefined;

  constructor(options: { capacity?: number; parent?: SecretRegistry } = {}) {
    this.#capacity = options.capacity ?? SECRET_REGISTRY_CAPACITY;
    this.#parent = options.parent;
  }

  /** Registers a secret here and in the enclosing runs, and tells their listeners. */
  add(secret: RegisteredSecret): void {
    const raw = secret.reveal();
    this.#raw.delete(raw);
    this.#raw.add(raw);
    if (this.#raw.size > this.#capacity) this.#raw.delete(this.#raw.values().next().value as string);
    for (const listener of this.#listeners) listener(secret);
    this.#parent?.add(secret);
  }

  /** Calls `listener` with each secret registered from now on; returns a function that stops it. */
  listen(listener: RegistryListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The raw secrets to mask here: this run's, then the enclosing runs'. */
  *secrets(): Generator<string> {
    yield* this.#raw;
    if (this.#parent) yield* this.#parent.secrets();
  }

  /** Whether this run (not an enclosing one) holds `raw`. */
  has(raw: string): boolean {
    return this.#raw.has(raw);
  }

  /** Secrets held by this run. */
  get size(): number {
    return this.#raw.size;
  }
}

const scope = new AsyncLocalStorage<SecretRegistry>();
/** The registry of code that runs outside any run (library use); bounded like any other. */
const processRegistry = new SecretRegistry();

/** The registry of the run the caller is in (the process registry outside any). */
export function currentSecrets(): SecretRegistry {
  return scope.getStore() ?? processRegistry;
}

/**
 * Runs `fn` as a run with its own secret registry (a new one inside the caller's run, when there is one,
 * unless `registry` is given), and returns what `fn` returns.
 */
export function withSecretScope<T>(fn: () => T, registry?: SecretRegistry): T {
  return scope.run(registry ?? new SecretRegistry({ parent: scope.getStore() }), fn);
}
