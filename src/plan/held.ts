/**
 * The words for a name or a destination another owner holds — one wording for `tokenform plan`, the
 * Terraform provider's plan diagnostics and CDKTF, so every front end names the holder the same way — and
 * the rule for when a holder stands in the way at all (`heldByAnother`).
 */
import { type ClaimHolder, describeHolder } from "../api/holder.js";
import { OWNER_LABEL, type Token } from "../api/schemas.js";
import { type Destination, describeDestination } from "../spec/resolved.js";

/** A spec token wants a name another owner's (or an unmanaged) token has. */
export function nameHeldMessage(name: string, holder: ClaimHolder): string {
  return `the name ${name} is held by ${describeHolder(holder)}; choose another name, or set adopt: true on the token to take it over`;
}

/** A spec token wants a destination another owner's (or an unmanaged) token holds. */
export function destinationHeldMessage(name: string, destination: Destination, holder: ClaimHolder): string {
  return `${describeDestination(destination)} is held by ${describeHolder(holder)}; one destination holds one token's secret, so deliver ${name} elsewhere or free it there first`;
}

/**
 * Whether the token holding a claim (a destination) stands in the way of a token of `owner`: it does unless
 * it is that token itself (one of `ownIds`: the token, or the one it adopts) or another of the same owner's
 * (a hand-over within a TokenSet, which apply sequences).
 */
export function heldByAnother(
  holder: Token | undefined,
  owner: string,
  ownIds: ReadonlyArray<string | undefined>,
): holder is Token {
  return holder !== undefined && !ownIds.includes(holder.id) && holder.labels[OWNER_LABEL] !== owner;
}
