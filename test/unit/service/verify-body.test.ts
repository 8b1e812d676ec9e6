/**
 * The verify body's shortcut never admits what `VerifyRequestSchema` refuses, and what it admits the schema
 * admits unchanged (so a request is answered the same with or without it); bodies with a signature, an
 * unknown key or anything out of bounds are left to the schema.
 */
import { describe, expect, it } from "vitest";
import { VerifyRequestSchema } from "../../../src/api/schemas.js";
import { plainVerifyRequest } from "../../../src/service/http/verify-body.js";
import { MAX_SCOPES } from "../../../src/spec/limits.js";

const TOKEN = "mcp_sk_0123456789abcdefghijklmnopqrstuvwxyzAB";

const admitted: unknown[] = [
  { token: TOKEN },
  { token: "" },
  { token: "x".repeat(512) },
  { token: TOKEN, scopes: ["tools:call"] },
  { scopes: [], token: TOKEN, ip: "203.0.113.7", write: false, tools: ["search_*"] },
  { token: TOKEN, scopes: Array.from({ length: MAX_SCOPES }, (_, i) => `s:${i}`) },
  { token: TOKEN, scopes: ["y".repeat(256)] },
];

const leftToTheSchema: unknown[] = [
  null,
  [],
  "token",
  42,
  {},
  { token: 1 },
  { token: "x".repeat(513) },
  { token: TOKEN, scopes: "tools:call" },
  { token: TOKEN, scopes: [1] },
  { token: TOKEN, scopes: ["y".repeat(257)] },
  { token: TOKEN, scopes: Array.from({ length: MAX_SCOPES + 1 }, () => "s") },
  { token: TOKEN, tools: [null] },
  { token: TOKEN, ip: 7 },
  { token: TOKEN, write: "yes" },
  { token: TOKEN, extra: true },
  { token: TOKEN, signature: { timestamp: "1", signature: "ab", body: "" } },
  JSON.parse(`{"token":"${TOKEN}","__proto__":{"x":1}}`),
  Object.assign(Object.create({ inherited: 1 }), { token: TOKEN }),
];

describe("plainVerifyRequest", () => {
  it("admits only what the schema admits, as the schema outputs it", () => {
    for (const body of admitted) {
      expect(plainVerifyRequest(body), JSON.stringify(body)).toBe(true);
      const parsed = VerifyRequestSchema.safeParse(body);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(body);
    }
  });

  it("leaves everything else to the schema", () => {
    for (const body of leftToTheSchema) expect(plainVerifyRequest(body), JSON.stringify(body)).toBe(false);
  });
});
