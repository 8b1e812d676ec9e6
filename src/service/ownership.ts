/**
 * Who may change the `tokenform.dev/*` labels of a token a TokenSet owns — its owner
 * (`tokenform.dev/owner`), the settings hash tokenform last applied, its removal policy: only a write that
 * declares, with the `Tokenform-Owner` header, the owner the token has or is being given (tokenform's
 * apply, the Action and the Terraform provider send it; an adoption declares the new owner, a release the
 * current one), or the service itself. Any other edit is refused, so wiping or editing these labels by hand
 * cannot hide a token from its owner's plans (its drift included) or hand it to another set. Tokens no set
 * owns are not guarded, nor are creates (a new token hides nothing: its owner's plan shows it).
 */
import { OWNER_HEADER, OWNER_LABEL, RESERVED_LABEL_PREFIX } from "../api/schemas.js";
import { SIGNATURE_LABEL } from "./signing.js";
import { SESSION_LABEL } from "./store/types.js";

/** Labels under the prefix that are service settings with rules of their own, not a set's bookkeeping. */
const SERVICE_LABELS: ReadonlySet<string> = new Set([SESSION_LABEL, SIGNATURE_LABEL]);

/** The guarded labels whose values differ between `before` and `after`, sorted. */
function changedReserved(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter(
      (key) =>
        key.startsWith(RESERVED_LABEL_PREFIX) && !SERVICE_LABELS.has(key) && before[key] !== after[key],
    )
    .sort();
}

/**
 * Why an update from `labels` to `next` may not be made by a caller that declared `declared` (undefined:
 * declared none); undefined when it may. `system`: the service itself acts (sweeper, operator).
 */
export function reservedLabelProblem(
  caller: { system: boolean; declared: string | undefined },
  labels: Record<string, string>,
  next: Record<string, string>,
): string | undefined {
  const owner = labels[OWNER_LABEL];
  if (caller.system || (owner === undefined && next[OWNER_LABEL] === undefined)) return undefined;
  const changed = changedReserved(labels, next);
  if (changed.length === 0) return undefined;
  if (caller.declared !== undefined && (caller.declared === owner || caller.declared === next[OWNER_LABEL])) {
    return undefined;
  }
  const which = `${changed.join(", ")} ${changed.length === 1 ? "is" : "are"}`;
  const whose = owner === undefined ? "a TokenSet's tokenform" : `tokenform for the token's owner ${owner}`;
  return (
    `${which} written only by ${whose} (a write sending ${OWNER_HEADER}: ${owner ?? next[OWNER_LABEL]}); ` +
    "change the token through its TokenSet and apply it, take it over with adopt: true, or let its set " +
    "release it with onRemove: orphan"
  );
}
