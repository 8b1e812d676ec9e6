/**
 * Released migrations never change (a database that applied one would silently differ from a new one):
 * their SQL, now declared side by side for both dialects in src/service/store/migrations.ts, is pinned
 * here by digest, as released. A new migration is added to these lists; an edited one fails.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type Migration,
  POSTGRES_MIGRATIONS,
  SQLITE_MIGRATIONS,
} from "../../../src/service/store/migrations.js";

function pins(migrations: readonly Migration[]): Array<[number, string, string]> {
  return migrations.map((m) => [
    m.version,
    m.name,
    createHash("sha256").update(m.sql).digest("hex").slice(0, 16),
  ]);
}

describe("released migrations", () => {
  it("keep their SQLite text", () => {
    expect(pins(SQLITE_MIGRATIONS)).toEqual([
      [1, "initial", "271617e6daaec5eb"],
      [2, "token tool allowlist", "052908383fc897c9"],
      [3, "destination claims", "867588a9f678381b"],
      [4, "seen signatures", "2941d6f3b4502ebe"],
      [5, "token names unique ignoring case", "60befd9d736e5000"],
      [6, "account rate limit", "9ad75ebd1f495d39"],
      [7, "token addresses", "4df8bd0455137e07"],
      [8, "audit actor and action indexes", "0204edf09297ead9"],
      [9, "holders and pickups", "693a1dc724d4f773"],
    ]);
  });

  it("keep their PostgreSQL text", () => {
    expect(pins(POSTGRES_MIGRATIONS)).toEqual([
      [1, "initial", "808ebad38aeba242"],
      [2, "token tool allowlist", "89e7fa28fdcfcd86"],
      [3, "destination claims", "bc4046b497793a36"],
      [4, "seen signatures", "233b7e612616a9ae"],
      [5, "token names unique ignoring case", "17c6a9feb80c0ee4"],
      [6, "account rate limit", "9ad75ebd1f495d39"],
      [7, "token addresses", "495eaee04b983bca"],
      [8, "audit actor and action indexes", "0204edf09297ead9"],
      [9, "holders and pickups", "67a2fc975937050c"],
    ]);
  });
});
