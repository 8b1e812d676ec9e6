/**
 * The words for a name or a destination another owner holds — one wording for `tokenform plan`, the
 * Terraform provider's plan diagnostics and CDKTF, so every front end names the holder the same way.
 */
import { type ClaimHolder, describeHolder } from "../api/holder.js";
import { type Destination, describeDestination } from "../spec/resolved.js";

/** A spec token wants a name another owner's (or an unmanaged) token has. */
export function nameHeldMessage(name: string, holder: ClaimHolder): string {
  return `the name ${name} is held by ${describeHolder(holder)}; choose another name, or set adopt: true on the token to take it over`;
}

/** A spec token wants a destination another owner's (or an unmanaged) token holds. */
export function destinationHeldMessage(name: string, destination: Destination, holder: ClaimHolder): string {
  return `${describeDestination(destination)} is held by ${describeHolder(holder)}; one destination holds one token's secret, so deliver ${name} elsewhere or free it there first`;
}
