/**
 * What a token listing selects, as SQL for either store: the account, lapsed pending tokens hidden, the
 * cursor, type, name, destination, status (the same rules as `tokenStatus` in lifecycle.ts) and label
 * requirements. One definition, so the two stores cannot drift apart on what a filter means.
 */
import { nameKey } from "../../spec/identifiers.js";
import { type Dialect, placeholder } from "./columns.js";
import type { TokenFilter } from "./types.js";

/** A flag column being true or false, in `dialect` (SQLite keeps flags as 0/1). */
function flag(dialect: Dialect, column: string, value: boolean): string {
  if (dialect === "sqlite") return `${column} = ${value ? 1 : 0}`;
  return value ? column : `NOT ${column}`;
}

/** The status filter's condition on `t` (`bind` adds a parameter and returns its placeholder). */
function statusCondition(
  dialect: Dialect,
  filter: TokenFilter,
  bind: (value: unknown) => string,
): string | undefined {
  const settled = `${flag(dialect, "t.pending", false)} AND ${flag(dialect, "t.enabled", true)}`;
  switch (filter.status) {
    case undefined:
      return undefined;
    case "pending":
      return flag(dialect, "t.pending", true);
    case "disabled":
      return `${flag(dialect, "t.pending", false)} AND ${flag(dialect, "t.enabled", false)}`;
    case "expired":
      return `${settled} AND t.expires_at IS NOT NULL AND t.expires_at <= ${bind(filter.now)}`;
    case "active":
      return `${settled} AND (t.expires_at IS NULL OR t.expires_at > ${bind(filter.now)})`;
  }
}

/**
 * `WHERE … ORDER BY t.seq LIMIT …` over `tokens t`: up to `limit` tokens of `account` matching `filter`,
 * after `afterSeq`, in insertion order; with its parameters.
 */
export function tokenListing(
  dialect: Dialect,
  account: string,
  filter: TokenFilter,
  afterSeq: number | null,
  limit: number,
): { clause: string; params: unknown[] } {
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return placeholder(dialect, params.length);
  };
  const where = [
    `t.account = ${bind(account)}`,
    // A pending token without a deadline (waiting for its holder's pickup) never lapses.
    `NOT (${flag(dialect, "t.pending", true)} AND t.pending_expires_at IS NOT NULL AND t.pending_expires_at <= ${bind(filter.now)})`,
  ];
  if (afterSeq !== null) where.push(`t.seq > ${bind(afterSeq)}`);
  if (filter.type) where.push(`t.type = ${bind(filter.type)}`);
  if (filter.name !== undefined) where.push(`t.name_key = ${bind(nameKey(filter.name))}`);
  if (filter.holder !== undefined) where.push(`t.holder = ${bind(filter.holder)}`);
  if (filter.destination !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM destination_claims c WHERE c.token_id = t.id AND c.destination = ${bind(filter.destination)})`,
    );
  }
  const status = statusCondition(dialect, filter, bind);
  if (status !== undefined) where.push(status);
  const label = "SELECT 1 FROM token_labels l WHERE l.token_id = t.id AND l.key =";
  for (const r of filter.requirements) {
    switch (r.op) {
      case "eq":
        where.push(`EXISTS (${label} ${bind(r.key)} AND l.value = ${bind(r.value)})`);
        break;
      case "neq":
        where.push(`NOT EXISTS (${label} ${bind(r.key)} AND l.value = ${bind(r.value)})`);
        break;
      case "exists":
        where.push(`EXISTS (${label} ${bind(r.key)})`);
        break;
      case "absent":
        where.push(`NOT EXISTS (${label} ${bind(r.key)})`);
        break;
    }
  }
  return { clause: `WHERE ${where.join(" AND ")} ORDER BY t.seq LIMIT ${bind(limit)}`, params };
}
