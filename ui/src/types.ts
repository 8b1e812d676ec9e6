/** The API's resources as the dashboard reads them: the API's own types (src/api/schemas.ts), types only. */
import type * as schemas from "../../src/api/schemas.js";

export type { AuditEntry, Page, Pickup, Token, Usage } from "../../src/api/schemas.js";

/** The label naming the spec that manages a token (typed as the API's constant: a change fails to compile). */
export const OWNER_LABEL: typeof schemas.OWNER_LABEL = "tokenform.dev/owner";

/** The owner managing `labels`' token, or undefined for an unmanaged key. */
export function ownerOf(labels: Record<string, string>): string | undefined {
  return labels[OWNER_LABEL];
}
