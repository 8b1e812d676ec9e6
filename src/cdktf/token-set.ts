/**
 * The `TokenSet` construct: applies a TokenSpec — YAML files or a typed object — as one `tokenform_token`
 * resource per entry, with the spec's defaults merged in. An invalid spec stops synthesis with the spec
 * loader's diagnostics (`TokenSpecError`); warnings become construct annotations.
 *
 * Each resource's construct id is its token name's identifier (`identifierOf`: `alice-cursor-dev` stays
 * itself, "Cursor MCP" becomes `cursor-mcp`), so its Terraform address depends on the name only:
 * reordering the spec or adding tokens never replaces another token. A token with `renamedFrom` gets a
 * `moved` block from its previous name's address, so a rename is an in-place update of the same token.
 *
 * The owner (`metadata.owner`) is the provider's `owner` setting (the provider labels every token it
 * manages with it). Without a `provider` prop the construct uses the stack's default (unaliased) tokenform
 * provider, creating one with the spec's owner when the stack has none and filling in the owner of one
 * that has none; a provider whose owner differs is refused.
 */
import type { Diagnostic } from "../spec/diagnostics.js";
import { identifierOf } from "../spec/identifiers.js";
import { loadTokenSetSync, validateTokenSetObject } from "../spec/load.js";
import type { ResolvedTokenSet } from "../spec/resolved.js";
import type { TokenSetInput } from "../spec/schema.js";
import {
  Annotations,
  CdktfToken,
  Construct,
  TerraformStack,
  TokenformProvider,
  TokenformToken,
} from "./deps.js";
import { TokenSpecError } from "./errors.js";
import { tokenConfig } from "./to-config.js";

/** Settings shared by both ways of giving the spec. */
export interface TokenSetCommonProps {
  /**
   * The provider configuration the tokens are managed with. Default: the stack's unaliased tokenform
   * provider (created with the spec's owner when missing). Its `owner` must be the spec's owner.
   */
  readonly provider?: TokenformProvider;
}

/** A spec read from YAML files and/or directories (every `*.yaml` / `*.yml` below a directory). */
export interface TokenSetPathsProps extends TokenSetCommonProps {
  readonly paths: string | readonly string[];
  /** Directory relative `paths` are taken from (default: the working directory of the app). */
  readonly cwd?: string;
  readonly spec?: never;
}

/** A spec written in TypeScript: the same shape as the YAML document, typed for editor completion. */
export interface TokenSetSpecProps extends TokenSetCommonProps {
  readonly spec: TokenSetInput;
  /** Directory relative `file` destinations resolve against (default: the working directory of the app). */
  readonly baseDir?: string;
  readonly paths?: never;
}

/** Either `paths` or `spec`. */
export type TokenSetProps = TokenSetPathsProps | TokenSetSpecProps;

export class TokenSet extends Construct {
  /** The validated spec: owner and tokens with defaults merged, in declaration order. */
  readonly set: ResolvedTokenSet;
  /** The provider configuration every token of this set uses. */
  readonly provider: TokenformProvider;
  readonly #tokens = new Map<string, TokenformToken>();

  constructor(scope: Construct, id: string, props: TokenSetProps) {
    super(scope, id);
    const result =
      props.paths !== undefined
        ? loadTokenSetSync(props.paths, props.cwd !== undefined ? { cwd: props.cwd } : {})
        : validateTokenSetObject(props.spec, {
            origin: this.node.path,
            ...(props.baseDir !== undefined ? { baseDir: props.baseDir } : {}),
          });
    if (!result.set) throw new TokenSpecError(result.diagnostics, result.sources);
    for (const warning of result.diagnostics) this.warn(warning);
    const picked = result.set.tokens.filter((t) => t.pickup !== undefined).map((t) => t.name);
    if (picked.length > 0) {
      // Never silently dropped: the resource would create a key nobody can pick up.
      throw new Error(
        `${picked.join(", ")}: pickup is not available through Terraform yet (the tokenform_token resource has no holder or pickup); declare such keys in a TokenSet applied by tokenform apply or the GitHub Action`,
      );
    }
    this.set = result.set;
    this.provider = providerFor(this, result.set.owner, props.provider);
    for (const token of result.set.tokens) {
      const resource = new TokenformToken(this, identifierOf(token.name), {
        ...tokenConfig(token),
        provider: this.provider,
      });
      // A rename moves the resource to the new name's address (a `moved` block): the same token, renamed in
      // place, never a replacement; the block is a no-op once the state has moved.
      if (token.renamedFrom !== undefined) {
        resource.moveFromId(`${resource.terraformResourceType}.${this.logicalIdOf(token.renamedFrom)}`);
      }
      this.#tokens.set(token.name, resource);
    }
  }

  /** The logical id (Terraform resource name) the token called `name` has, or had, in this set. */
  private logicalIdOf(name: string): string {
    const stand = new Construct(this, identifierOf(name));
    const id = TerraformStack.of(this).getLogicalId(stand.node);
    this.node.tryRemoveChild(identifierOf(name));
    return id;
  }

  /** The `tokenform_token` resources, by token name. */
  get tokens(): ReadonlyMap<string, TokenformToken> {
    return this.#tokens;
  }

  /** The resource of the token called `name`; throws when the spec has no such token. */
  token(name: string): TokenformToken {
    const found = this.#tokens.get(name);
    if (!found) {
      throw new Error(
        `the TokenSet ${this.node.path} has no token named ${JSON.stringify(name)} (it has ${[...this.#tokens.keys()].join(", ") || "none"})`,
      );
    }
    return found;
  }

  private warn(d: Diagnostic): void {
    const where = d.line !== undefined ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
    Annotations.of(this).addWarning(`${where}: warning[${d.code}] ${d.message}`);
  }
}

/** The provider for a set owned by `owner`: the given one, or the stack's default (created if missing). */
function providerFor(set: Construct, owner: string, given: TokenformProvider | undefined): TokenformProvider {
  const provider = given ?? defaultProvider(set, owner);
  const configured = provider.owner;
  if (configured === undefined) {
    provider.owner = owner;
  } else if (!CdktfToken.isUnresolved(configured) && configured !== owner) {
    throw new Error(
      `the TokenSet ${set.node.path} has metadata.owner ${JSON.stringify(owner)}, but its tokenform provider ` +
        `${provider.node.path} has owner ${JSON.stringify(configured)}; tokens are owned by the provider's owner, ` +
        "so pass a provider (an aliased TokenformProvider) with this owner as the TokenSet's provider prop",
    );
  }
  return provider;
}

/** The stack's unaliased tokenform provider, created with `owner` when the stack has none. */
function defaultProvider(set: Construct, owner: string): TokenformProvider {
  const stack = TerraformStack.of(set);
  for (const node of stack.node.findAll()) {
    if (node instanceof TokenformProvider && node.alias === undefined) return node;
  }
  return new TokenformProvider(stack, "tokenform", { owner });
}
