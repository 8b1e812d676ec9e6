/**
 * What a destination kind (GitHub secret, GitLab variable, file, …) declares: one object per kind, in
 * `src/destinations/<kind>/index.ts`, listed once in `registry.ts`. Everything that differs between kinds
 * is a field of `DestinationKind` — the spec block, resolution, id and description, the sink and the
 * credentials it reads, the Terraform block, the CDKTF mapping, the Action's inputs — so a new kind that
 * leaves one out does not compile, and no module outside a kind's folder names a kind.
 *
 * A kind module loads nothing heavy when imported: its zod schema is built from the `z` the spec module
 * passes in (`spec.schema(z)`), and its sink implementation is imported on first use (`lazySink`). So the
 * provider's schema and the CLI's `validate` can read the registry without loading zod's schemas, octokit
 * or libsodium.
 */
import type { z as zod } from "zod";
import type { SinkLogger } from "../sinks/logger.js";
import type { Sink } from "../sinks/types.js";
import type { DiagnosticCode } from "../spec/diagnostics.js";

/** The zod namespace, as the spec module hands it to `spec.schema`. */
export type Zod = typeof zod;

/** Where relative paths and `~` point while resolving. */
export interface ResolveContext {
  /** Directory of the spec file (relative `file` destinations are resolved against it). */
  baseDir: string;
  /** Home directory for `~` (default: the current user's). */
  homeDir?: string;
}

/** The kind's block in a TokenSet (`deliver: [{ <kind>: { … } }]`). */
export interface SpecFacet<Block> {
  /**
   * The block's schema as written: no transforms, no defaults (the spec publishes it as JSON Schema).
   * Refinements report through `report` (`src/spec/report.ts`) with a diagnostic code.
   */
  schema(z: Zod): zod.ZodType<Block, Block>;
  /** Diagnostic codes of the block's `regex` patterns (the pattern source → its code). */
  patternCodes: ReadonlyArray<readonly [pattern: string, code: DiagnosticCode]>;
}

/** Options every sink factory receives, besides its own (`createSinks`). */
export interface CommonSinkOptions {
  /** Fetch implementation for HTTP sinks (default: Node's global fetch). */
  fetch?: typeof globalThis.fetch;
  /** Already masking (`maskingLogger`). */
  logger?: SinkLogger;
}

/** What a kind's sink factory is given: the environment it reads credentials from, and the options. */
export interface SinkConfig<Options> {
  /** Where credentials and URLs are read from (`process.env` in production). */
  env: NodeJS.ProcessEnv;
  /** The kind's own options of `createSinks`, and the shared ones. */
  options: Options & CommonSinkOptions;
}

/** Terraform attribute types a delivery block uses. */
export type TerraformAttributeType = "string" | "number" | "bool" | readonly ["list" | "set", "string"];

/** One attribute of a delivery block (the provider's `AttributeSchema`). */
export interface TerraformAttribute {
  name: string;
  type: TerraformAttributeType;
  description: string;
  required?: boolean;
  optional?: boolean;
  /** With `optional`: the provider plans a value when none is configured. */
  computed?: boolean;
}

/** A field of a spec block (any name when the block type is not known, as in a lookup by name). */
type FieldOf<Block> = unknown extends Block ? string : keyof Block & string;

/** The kind's nested block in `resource "tokenform_token"` (a list of blocks). */
export interface TerraformFacet<Block> {
  /** Block type name, e.g. `github_secret`. */
  typeName: string;
  description: string;
  attributes: TerraformAttribute[];
  /** Terraform attribute → spec field (snake_case → the block's camelCase), for every attribute. */
  fields: Readonly<Record<string, FieldOf<Block>>>;
}

/**
 * The kind's CDKTF mapping: the `tokenform_token` config key its blocks go under (`githubSecret`), and a
 * resolved destination as one such block (camelCase, undefined fields left out). `src/cdktf` checks at
 * compile time that the block fits the generated bindings; this module does not import them (cdktf is an
 * optional peer dependency).
 */
export interface CdktfFacet<D, Key extends string = string, Item = object> {
  key: Key;
  block(d: D): Item;
}

/** One input of the GitHub Action (`action.yml`) that a kind's sink needs. */
export interface ActionInput<Field extends string = string> {
  /** Input name, e.g. `github-token`. */
  name: string;
  /** Field of the parsed inputs (`ActionInputs`), e.g. `githubToken`. */
  field: Field;
  /** Environment variable the kind's sink reads it from, e.g. `GITHUB_TOKEN`. */
  env: string;
  /** A credential: masked the moment it is read; holding it lets plan jobs read this kind's destinations. */
  secret?: true;
  /** Must be an http(s) URL. */
  url?: true;
}

/**
 * How the GitHub Action treats the kind: delivers it, with credentials from its inputs (and values the
 * runner knows, such as GitHub's own API URL); or refuses it on the runner (a file on a runner's disk is no
 * place for a secret), leaving such changes for `tokenform apply` on a workstation.
 */
export type ActionFacet<D, Field extends string = string> =
  | {
      onRunner: "deliver";
      inputs: readonly ActionInput<Field>[];
      /** Environment the sink needs from the run itself (not from inputs). */
      runEnv?(run: { apiUrl: string }): Record<string, string>;
    }
  | {
      onRunner: "refuse";
      inputs: readonly [];
      /** What the Action's guard sink says when asked to write or read such a destination. */
      refusal(d: D): { deliver: string; inspect: string };
    };

/**
 * A destination kind. `D` is its resolved destination (`{ kind: Name, … }`), `Block` its spec block,
 * `Options` its own options of `createSinks`, `Field` the fields it adds to the Action's inputs.
 */
export interface DestinationKind<
  Name extends string,
  Block,
  D extends { kind: Name },
  Options = unknown,
  Field extends string = string,
  CdktfKey extends string = string,
  CdktfItem = object,
> {
  /** The kind's name: its key in a spec's delivery and `kind` of its resolved destinations. */
  kind: Name;
  spec: SpecFacet<Block>;
  /** A valid block completed with its defaults. `tokenName` derives names the block may leave out. */
  resolve(block: Block, tokenName: string, context: ResolveContext): D;
  /** Stable identity (duplicate detection, delivery records); never contains a value. */
  id(d: D): string;
  /** Human description for plans and logs; never contains a value. */
  describe(d: D): string;
  /**
   * What a reviewer should see besides the description, as short phrases: each setting that differs from
   * the kind's default (GitLab's `protected`, `masked: false`), and who can read the secret when that is
   * not obvious (an organisation secret's visibility, always). Empty when there is nothing to add.
   */
  settings(d: D): string[];
  /**
   * True when the destination lives on the machine that runs apply (a file): its claim in the token
   * service names that host, since the same path on two machines is two destinations.
   */
  local: boolean;
  /** The destination as delivery records keep it (without the spec's bookkeeping); a copy by default. */
  recorded?(d: D): D;
  /**
   * `d` with any name it derived (the spec left it out) replaced by the one the same destination already
   * has among `existing` (where the token's secret went before), so a rename never renames it.
   */
  keepDerived?(d: D, existing: readonly { kind: string }[]): D;
  /**
   * Environment variables the sink cannot deliver without (`GITHUB_TOKEN`); empty when it needs none. An
   * entry that is a list names alternatives, any one of which will do (Vault: a token, an AppRole secret id
   * or a JWT). A plan names those missing from the environment apply will run in, before apply finds out.
   */
  credentials: readonly (string | readonly string[])[];
  /** The sink for this kind, configured from `config.env`; never throws for a missing credential. */
  sink(config: SinkConfig<Options>): Sink<D>;
  terraform: TerraformFacet<Block>;
  cdktf: CdktfFacet<D, CdktfKey, CdktfItem>;
  action: ActionFacet<D, Field>;
}

/** A sink that loads its implementation on first use (each call awaits the same instance). */
export function lazySink<D extends { kind: string }>(kind: D["kind"], load: () => Promise<Sink<D>>): Sink<D> {
  let sink: Promise<Sink<D>> | undefined;
  const get = () => {
    sink ??= load();
    return sink;
  };
  return {
    kind,
    deliver: async (destination, secret, context) => (await get()).deliver(destination, secret, context),
    inspect: async (destination, delivery, context) => (await get()).inspect(destination, delivery, context),
    remove: async (destination, context) => (await get()).remove(destination, context),
  };
}

/** Attribute builders for `TerraformFacet.attributes`. */
export const tf = {
  required: (name: string, type: TerraformAttributeType, description: string): TerraformAttribute => ({
    name,
    type,
    description,
    required: true,
  }),
  optional: (name: string, type: TerraformAttributeType, description: string): TerraformAttribute => ({
    name,
    type,
    description,
    optional: true,
  }),
  /** Optional; when not configured the provider plans its default. */
  defaulted: (name: string, type: TerraformAttributeType, description: string): TerraformAttribute => ({
    name,
    type,
    description,
    optional: true,
    computed: true,
  }),
};

/** `value` without its undefined fields (so synthesized JSON has no nulls for unset attributes). */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
