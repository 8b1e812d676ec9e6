/**
 * Human token names through the real management API, on SQLite and on PostgreSQL: "Cursor MCP" and
 * "CI/CD Pipeline" are created and renamed; a name differing only in case is a 409 on both stores; control
 * and bidi-override characters are a 422 naming the character.
 */
import { describe, expect, it } from "vitest";
import { PostgresStore } from "../../../src/service/store/postgres.js";
import { usePostgres } from "../../support/postgres.js";
import { type ServiceHarness, serviceHarness } from "./harness.js";

const cluster = usePostgres();

const backends: Array<{ name: string; start: () => Promise<ServiceHarness> }> = [
  { name: "SQLite", start: () => serviceHarness() },
  {
    name: "PostgreSQL",
    start: async () => {
      return serviceHarness({
        store: new PostgresStore({ connectionString: await cluster().createDatabase() }),
      });
    },
  },
];

describe.each(backends)("human token names on $name", (backend) => {
  it("creates and renames tokens with human names; a name differing in case is a 409", async () => {
    await using h = await backend.start();
    const post = (body: object) => h.http("POST", "/v1/tokens", { token: h.adminToken, body });
    const cursor = await post({ name: "Cursor MCP", scopes: ["tools:call"] });
    expect(cursor.status).toBe(201);
    expect(cursor.body.token.name).toBe("Cursor MCP");
    expect((await post({ name: "CI/CD Pipeline" })).status).toBe(201);

    const clash = await post({ name: "cursor mcp" });
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toContain("cursor mcp");

    const other = await post({ name: "other" });
    const id = other.body.token.id as string;
    const renameClash = await h.http("PATCH", `/v1/tokens/${id}`, {
      token: h.adminToken,
      body: { name: "ci/cd PIPELINE" },
    });
    expect(renameClash.status).toBe(409);
    const renamed = await h.http("PATCH", `/v1/tokens/${id}`, {
      token: h.adminToken,
      body: { name: "Notiflows Ops — Bot" },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe("Notiflows Ops — Bot");
    // A token may change the case of its own name.
    const recased = await h.http("PATCH", `/v1/tokens/${cursor.body.token.id}`, {
      token: h.adminToken,
      body: { name: "cursor MCP" },
    });
    expect(recased.status).toBe(200);
  });

  it("the service keeps library callers to the same name rule", async () => {
    await using h = await backend.start();
    const actor = { account: h.service.account, name: "test", tokenId: null, scopes: ["*"], ip: null };
    await expect(
      h.service.manager.create(actor, { name: "pay\u202Eroll", type: "mcp" }),
    ).rejects.toMatchObject({
      message: expect.stringContaining("U+202E"),
    });
    expect((await h.service.manager.create(actor, { name: "Cursor MCP", type: "mcp" })).token.name).toBe(
      "Cursor MCP",
    );
  });

  it("refuses control and bidi characters and surrounding spaces with a clear 422", async () => {
    await using h = await backend.start();
    for (const [name, says] of [
      ["pay\u202Eroll", "U+202E"],
      ["a\u2067b", "U+2067"],
      ["line\nbreak", "control"],
      [" padded", "must not start or end with spaces"],
      ["x".repeat(129), "at most 128 characters"],
    ] as const) {
      const res = await h.http("POST", "/v1/tokens", { token: h.adminToken, body: { name } });
      expect(res.status, name).toBe(422);
      expect(res.body.error.type, name).toBeTypeOf("string");
      expect(JSON.stringify(res.body.error), name).toContain(says);
    }
  });
});
