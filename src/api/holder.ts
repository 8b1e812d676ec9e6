/**
 * The holder of a name or a destination claim: the token a 409 conflict names (its `details.holder`), a plan
 * error names, and a Terraform diagnostic names, all in the same words.
 */
import { OWNER_LABEL, type Token } from "./schemas.js";

/** The token that holds a name or a destination. */
export interface ClaimHolder {
  id: string;
  name: string;
  /** Its `tokenform.dev/owner` label; null when no TokenSet manages it. */
  owner: string | null;
}

/** The holder as a conflict names it. */
export function holderOf(token: Pick<Token, "id" | "name" | "labels">): ClaimHolder {
  return { id: token.id, name: token.name, owner: token.labels[OWNER_LABEL] ?? null };
}

/** The words a conflict uses for a holder: `token ci-key (owner acme/backend)`. */
export function describeHolder(holder: ClaimHolder): string {
  return `token ${holder.name} (${holder.owner === null ? "not managed by tokenform" : `owner ${holder.owner}`})`;
}
