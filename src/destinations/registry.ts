/**
 * The destination kinds tokenform knows, in the order their blocks appear in the spec's JSON Schema, the
 * Terraform resource and a resolved token's delivery list. A kind is added here and in its own folder,
 * nowhere else: every module that differs by kind looks the kind up here (`kindOf`) or iterates
 * `DESTINATION_KIND_NAMES`, and every table keyed by kind is a mapped type over `DestinationKindName`.
 */
import { awsSecretsManager } from "./aws-secrets-manager/index.js";
import { file } from "./file/index.js";
import { github } from "./github/index.js";
import { gitlab } from "./gitlab/index.js";
import { googleSecretManager } from "./google-secret-manager/index.js";
import type { CommonSinkOptions, DestinationKind, SinkConfig } from "./kind.js";
import { kubernetes } from "./kubernetes/index.js";
import { vault } from "./vault/index.js";

/** Every kind, by name (the key is the kind's `kind`). */
export const DESTINATION_KINDS = {
  github,
  gitlab,
  file,
  vault,
  awsSecretsManager,
  kubernetes,
  googleSecretManager,
} as const satisfies {
  [K in string]: { kind: K };
};

type Kinds = typeof DESTINATION_KINDS;

/** A kind's name: `github`, `gitlab`, `file`, `vault`, `awsSecretsManager`, `kubernetes`,
 * `googleSecretManager`. */
export type DestinationKindName = keyof Kinds;

/** The resolved destination of kind `K`. */
export type DestinationOf<K extends DestinationKindName> = Parameters<Kinds[K]["id"]>[0];

/** A resolved destination of any kind (`{ kind, … }`). */
export type Destination = { [K in DestinationKindName]: DestinationOf<K> }[DestinationKindName];

/** The spec block of kind `K` as written. */
export type DeliveryBlockOf<K extends DestinationKindName> = Parameters<Kinds[K]["resolve"]>[0];

/** One entry of a token's `deliver` list: exactly one kind's block under the kind's name. */
export type Delivery = {
  [K in DestinationKindName]: { [P in K]: DeliveryBlockOf<K> };
}[DestinationKindName];

/** The options kind `K` adds to `createSinks`. */
export type SinkOptionsOf<K extends DestinationKindName> = Kinds[K]["sink"] extends (
  config: SinkConfig<infer Options>,
) => unknown
  ? Options & CommonSinkOptions
  : CommonSinkOptions;

/** The fields the kinds add to the Action's parsed inputs. */
export type ActionInputField = {
  [K in DestinationKindName]: Kinds[K]["action"]["inputs"][number]["field"];
}[DestinationKindName];

/** Any kind, with its destination type widened to `Destination`: what a lookup by name returns. */
export type AnyDestinationKind = DestinationKind<DestinationKindName, unknown, Destination>;

/** The names, in registry order. */
export const DESTINATION_KIND_NAMES = Object.keys(DESTINATION_KINDS) as DestinationKindName[];

/**
 * Every kind, widened. Each kind's functions take its own destinations; `kindOf(d.kind)` pairs them
 * correctly by construction, which TypeScript cannot follow through a union (hence the widening).
 */
const KINDS: Readonly<Record<DestinationKindName, AnyDestinationKind>> = DESTINATION_KINDS;

/** The kind named `name`. */
export function kindOf(name: DestinationKindName): AnyDestinationKind {
  return KINDS[name];
}

/** Every kind, widened, in registry order. */
export function allKinds(): AnyDestinationKind[] {
  return DESTINATION_KIND_NAMES.map(kindOf);
}

/** The kind name a delivery entry is written under (its one key). */
export function deliveryKind(delivery: Delivery): DestinationKindName {
  return Object.keys(delivery)[0] as DestinationKindName;
}
