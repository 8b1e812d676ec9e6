import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../../src/api/schemas.js";
import { computePlan } from "../../../src/plan/compute.js";
import {
  APPLIED_LABEL,
  canonicalJson,
  desiredSettings,
  RETIRED_AT_LABEL,
  ROTATE_TRIGGER_LABEL,
} from "../../../src/plan/desired.js";
import { closingLine } from "../../../src/plan/render/words.js";
import type { RotateChange, UpdateChange } from "../../../src/plan/types.js";
import { applied, CURSOR_PICKUP, OWNER, resolved, restamp, T0, tokenSet } from "../../support/builders.js";

const day = 86_400_000;
const at = (days: number) => new Date(T0.getTime() + days * day);

describe("computePlan", () => {
  it("plans nothing when the service matches the spec", () => {
    const spec = [resolved("alice-cursor-dev"), resolved("backend-ci")];
    const plan = computePlan({ set: tokenSet(spec), actual: spec.map((s) => applied(s)), now: at(1) });
    expect(plan.changes).toEqual([]);
    expect(plan.drift).toEqual([]);
    expect(closingLine(plan)).toBe("No changes.");
  });

  it("creates tokens the service lacks, with their destinations", () => {
    const plan = computePlan({ set: tokenSet([resolved("new-key")]), actual: [], now: T0 });
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]).toMatchObject({ kind: "create", name: "new-key" });
    expect(plan.changes[0]!.kind === "create" && plan.changes[0]!.destinations.map((d) => d.id)).toEqual([
      "file:/tmp/tf-new-key.env#MCP_API_KEY",
    ]);
    expect(plan.summary.create).toBe(1);
    expect(closingLine(plan)).toBe("Plan: 1 to create.");
  });

  it("updates changed settings in place with a field-level diff", () => {
    const before = resolved("backend-ci");
    const after = resolved("backend-ci", { scopes: ["contexts:read", "tools:call"], description: "CI" });
    const plan = computePlan({ set: tokenSet([after]), actual: [applied(before)], now: at(1) });
    const change = plan.changes[0] as UpdateChange;
    expect(change.kind).toBe("update");
    expect(change.fields).toEqual([
      { field: "description", from: "backend-ci token", to: "CI" },
      { field: "scopes", from: ["contexts:read"], to: ["contexts:read", "tools:call"] },
    ]);
    expect(plan.drift).toEqual([]);
  });

  it("matches names whatever their case, as the service does: a case change is a rename, not a create", () => {
    const before = resolved("Cursor MCP");
    const after = { ...before, name: "cursor mcp" };
    const plan = computePlan({ set: tokenSet([after]), actual: [applied(before)], now: at(1) });
    expect(plan.changes.map((c) => c.kind)).toEqual(["update"]);
    expect((plan.changes[0] as UpdateChange).fields).toEqual([
      { field: "name", from: "Cursor MCP", to: "cursor mcp" },
    ]);
    // Another owner's token of the same name in another case is held, not free.
    const foreign = applied(resolved("CI/CD Pipeline"), { labels: { "tokenform.dev/owner": "acme/other" } });
    const held = computePlan({
      set: tokenSet([resolved("ci/cd pipeline")]),
      actual: [],
      others: [foreign],
      now: at(1),
    });
    expect(held.changes).toEqual([]);
    expect(held.errors.map((e) => e.message).join("\n")).toContain("acme/other");
  });

  it("diffs a tool allowlist like scopes, and keeps the hash of tokens applied before allowlists existed", () => {
    const before = resolved("search-bot");
    const after = resolved("search-bot", { tools: ["search_*", "get_status"] });
    const plan = computePlan({ set: tokenSet([after]), actual: [applied(before)], now: at(1) });
    expect((plan.changes[0] as UpdateChange).fields).toEqual([
      { field: "tools", from: null, to: ["get_status", "search_*"] },
    ]);
    expect(plan.drift).toEqual([]);
    // A token applied by a release without allowlists (or holders and pickups): its applied-settings label
    // has no `tools`, `holder` or `pickup` key.
    const old = applied(before);
    const {
      tools: _none,
      holder: _holder,
      pickup: _pickup,
      ...withoutTools
    } = desiredSettings(before, new Date(old.rotatedAt));
    const legacyHash = `sha256:${createHash("sha256").update(canonicalJson(withoutTools)).digest("hex").slice(0, 16)}`;
    expect(old.labels[APPLIED_LABEL]).toBe(legacyHash);
    const again = computePlan({ set: tokenSet([before]), actual: [old], now: at(1) });
    expect(again.changes).toEqual([]);
    expect(again.drift).toEqual([]);
  });

  it("keeps a key waiting for its holder's pickup as it is, and rolls a delivered key its holder now picks up", () => {
    const cursor = CURSOR_PICKUP;
    const picked = resolved("alice-cursor", { deliver: [], holder: "alice", pickup: cursor });
    const waiting = applied(picked, {
      status: "pending",
      holder: "alice",
      pickup: { ...cursor, waitingSince: T0.toISOString(), pickedUpAt: null, deliveredAt: null },
    });
    // Pending on purpose: not an interrupted run's leftover to recreate.
    const calm = computePlan({ set: tokenSet([picked]), actual: [waiting], now: at(2) });
    expect(calm.changes).toEqual([]);
    expect(calm.reports.pickups).toEqual([
      {
        name: "alice-cursor",
        id: waiting.id,
        holder: "alice",
        client: "cursor",
        server: "acme",
        since: T0.toISOString(),
        days: 2,
      },
    ]);
    // A key delivered to a file until now: its settings gain the holder and pickup, and it rolls so that a
    // secret waits for alice (the file's consumers keep the old one through the overlap).
    const delivered = applied(resolved("alice-cursor"));
    const plan = computePlan({ set: tokenSet([picked]), actual: [delivered], now: at(1) });
    expect(plan.changes.map((c) => c.kind)).toEqual(["update", "rotate"]);
    expect((plan.changes[0] as UpdateChange).fields.map((f) => f.field)).toEqual([
      "holder",
      "pickup",
      "deliver",
    ]);
    const roll = plan.changes[1] as RotateChange;
    expect(roll.reason).toBe("its holder now picks it up: the new secret waits for tokenform pickup");
    expect(roll.overlapSeconds).toBe(48 * 3600);
    expect(closingLine(plan)).toBe("Plan: 1 to update, 1 to rotate.");
  });

  it("enables and disables separately from other settings", () => {
    const spec = resolved("k", { enabled: false });
    const plan = computePlan({ set: tokenSet([spec]), actual: [applied(resolved("k"))], now: at(1) });
    expect(plan.changes.map((c) => c.kind)).toEqual(["disable"]);
    const back = computePlan({ set: tokenSet([resolved("k")]), actual: [applied(spec)], now: at(1) });
    expect(back.changes.map((c) => c.kind)).toEqual(["enable"]);
  });

  it("rotates when rotation.every has elapsed since the last roll, with the spec's overlap", () => {
    const spec = resolved("ci", { rotation: { everySeconds: 90 * 86_400, overlapSeconds: 48 * 3600 } });
    const token = applied(spec);
    expect(computePlan({ set: tokenSet([spec]), actual: [token], now: at(89) }).changes).toEqual([]);
    const plan = computePlan({ set: tokenSet([spec]), actual: [token], now: at(90) });
    const change = plan.changes[0] as RotateChange;
    expect(change).toMatchObject({ kind: "rotate", reason: "due", overlapSeconds: 172_800 });
    expect(change.destinations).toHaveLength(1);
  });

  it("rotates on request (CLI) with the requested overlap, and when the rotate trigger changes", () => {
    const spec = resolved("ci");
    const plan = computePlan({
      set: tokenSet([spec]),
      actual: [applied(spec)],
      now: at(1),
      rotate: { names: ["ci"], overlapSeconds: 0 },
    });
    expect(plan.changes[0]).toMatchObject({ kind: "rotate", reason: "requested", overlapSeconds: 0 });

    const triggered = resolved("ci", { rotateTrigger: "2026-02-01" });
    const token = applied(resolved("ci"));
    const byTrigger = computePlan({ set: tokenSet([triggered]), actual: [token], now: at(1) });
    expect(byTrigger.changes.map((c) => c.kind)).toContain("rotate");
    const done = applied(triggered);
    expect(done.labels[ROTATE_TRIGGER_LABEL]).toBe("2026-02-01");
    expect(computePlan({ set: tokenSet([triggered]), actual: [done], now: at(1) }).changes).toEqual([]);
  });

  it("re-delivers (with a roll) when a destination is added or its delivery record is missing", () => {
    const before = resolved("ci");
    const after = resolved("ci", {
      deliver: [...before.deliver, { kind: "file", path: "/tmp/second.env", format: "env", key: "K" }],
    });
    const plan = computePlan({ set: tokenSet([after]), actual: [applied(before)], now: at(1) });
    const change = plan.changes[0] as RotateChange;
    expect(change.kind).toBe("redeliver");
    expect(change.missing?.map((d) => d.id)).toEqual(["file:/tmp/second.env#K"]);
    expect(change.destinations).toHaveLength(2);
    expect(change.overlapSeconds).toBeGreaterThan(0);
  });

  it("stops delivering to a destination the spec dropped and removes the secret there", () => {
    const before = resolved("ci", {
      deliver: [
        { kind: "file", path: "/tmp/a.env", format: "env", key: "K" },
        { kind: "file", path: "/tmp/b.env", format: "env", key: "K" },
      ],
    });
    const after = resolved("ci", { deliver: [before.deliver[0]!] });
    const plan = computePlan({ set: tokenSet([after]), actual: [applied(before)], now: at(1) });
    const change = plan.changes[0] as UpdateChange;
    expect(change.kind).toBe("update");
    expect(change.undeliver.map((d) => d.id)).toEqual(["file:/tmp/b.env#K"]);
  });

  it("keeps a dropped destination that another token of the set now claims", () => {
    const shared = { kind: "file" as const, path: "/tmp/shared.env", format: "env" as const, key: "K" };
    const a = resolved("a", { deliver: [shared] });
    const b = resolved("b", { deliver: [] });
    const plan = computePlan({
      set: tokenSet([resolved("a", { deliver: [] }), resolved("b", { deliver: [shared] })]),
      actual: [applied(a), applied(b)],
      now: at(1),
    });
    const update = plan.changes.find((c) => c.kind === "update" && c.name === "a") as UpdateChange;
    expect(update.undeliver).toEqual([]);
    expect(plan.changes.find((c) => c.name === "b")?.kind).toBe("redeliver");
  });

  it("recreates a pending token left by an interrupted run, and a type change", () => {
    const spec = resolved("ci");
    const pending = computePlan({
      set: tokenSet([spec]),
      actual: [applied(spec, { status: "pending" })],
      now: at(1),
    });
    expect(pending.changes[0]).toMatchObject({ kind: "recreate", id: "tok_ci" });
    const typed = computePlan({
      set: tokenSet([resolved("ci", { type: "agent", readOnly: false })]),
      actual: [applied(spec)],
      now: at(1),
    });
    expect(typed.changes[0]).toMatchObject({
      kind: "recreate",
      reason: expect.stringContaining("mcp to agent"),
    });
  });

  it("recreates a token deleted outside tokenform and says by whom", () => {
    const audit: AuditEntry[] = [
      {
        id: "a1",
        at: at(2).toISOString(),
        account: "acct_1",
        actor: "mallory-admin",
        actorTokenId: "tok_m",
        action: "token.delete",
        targetId: "tok_ci",
        targetName: "ci",
        changes: {},
        sourceIp: "127.0.0.1",
      },
    ];
    const plan = computePlan({
      set: tokenSet([resolved("ci")]),
      actual: [],
      now: at(3),
      audit,
      self: "tokenform",
    });
    expect(plan.changes[0]).toMatchObject({
      kind: "recreate",
      reason: expect.stringContaining("mallory-admin"),
    });
    // tokenform's own delete carries the owner its apply declared; the same key's hand delete does not.
    const mark = { appliedFor: { from: null, to: OWNER } };
    const ours = computePlan({
      set: tokenSet([resolved("ci")]),
      actual: [],
      now: at(3),
      audit: audit.map((e) => ({ ...e, actor: "tokenform", changes: mark })),
      self: "tokenform",
    });
    expect(ours.changes[0]!.kind).toBe("create");
    const byHand = computePlan({
      set: tokenSet([resolved("ci")]),
      actual: [],
      now: at(3),
      audit: audit.map((e) => ({ ...e, actor: "tokenform" })),
      self: "tokenform",
    });
    expect(byHand.changes[0]).toMatchObject({
      kind: "recreate",
      reason: `deleted outside tokenform by tokenform (this set's own key) at ${at(2).toISOString()}`,
    });
  });

  it("retires removed tokens, waits out the grace, then deletes", () => {
    const gone = applied(resolved("old-key"));
    const set = tokenSet([]);
    expect(computePlan({ set, actual: [gone], now: at(1) }).changes[0]).toMatchObject({
      kind: "retire",
      graceSeconds: 604_800,
    });
    const retired = {
      ...gone,
      enabled: false,
      labels: { ...gone.labels, [RETIRED_AT_LABEL]: at(1).toISOString() },
    };
    const waiting = computePlan({ set, actual: [retired], now: at(5) });
    expect(waiting.changes).toEqual([]);
    expect(waiting.reports.retiring).toEqual([
      { name: "old-key", id: gone.id, deleteAfter: at(8).toISOString() },
    ]);
    const due = computePlan({ set, actual: [retired], now: at(8) });
    expect(due.changes[0]).toMatchObject({ kind: "delete", name: "old-key" });
  });

  it("honours onRemove: delete and orphan", () => {
    const del = applied(resolved("d", { onRemove: "delete" }));
    const orphan = applied(resolved("o", { onRemove: "orphan" }));
    const plan = computePlan({ set: tokenSet([]), actual: [del, orphan], now: at(1) });
    expect(plan.changes.map((c) => [c.kind, c.name])).toEqual([
      ["delete", "d"],
      ["orphan", "o"],
    ]);
  });

  it("reports drift when settings changed outside tokenform, naming the actor from the audit log", () => {
    const spec = resolved("ci");
    const token = applied(spec);
    const tampered = { ...token, scopes: ["*"], readOnly: false };
    const audit: AuditEntry[] = [
      {
        id: "a2",
        at: at(2).toISOString(),
        account: "acct_1",
        actor: "bob-admin",
        actorTokenId: "tok_b",
        action: "token.update",
        targetId: token.id,
        targetName: "ci",
        changes: { scopes: { from: ["contexts:read"], to: ["*"] }, readOnly: { from: true, to: false } },
        sourceIp: "10.0.0.1",
      },
    ];
    const plan = computePlan({
      set: tokenSet([spec]),
      actual: [tampered],
      now: at(3),
      audit,
      self: "tokenform",
    });
    expect(plan.drift).toEqual([
      {
        name: "ci",
        id: token.id,
        fields: [
          { field: "scopes", from: ["*"], to: ["contexts:read"] },
          { field: "readOnly", from: false, to: true },
        ],
        changedBy: "bob-admin",
        changedAt: at(2).toISOString(),
      },
    ]);
    expect(plan.changes.map((c) => c.kind)).toEqual(["update"]);
    // Only the fields the outside change touched count as drift; a spec edit of another field does not.
    const edited = resolved("ci", { description: "edited in the spec" });
    const both = computePlan({
      set: tokenSet([edited]),
      actual: [tampered],
      now: at(3),
      audit,
      self: "tokenform",
    });
    expect(both.drift[0]?.fields.map((f) => f.field)).toEqual(["scopes", "readOnly"]);
    // A change made through tokenform (label restamped) is not drift.
    expect(computePlan({ set: tokenSet([spec]), actual: [restamp(tampered)], now: at(3) }).drift).toEqual([]);
  });

  it("attributes drift made by hand with the set's own key, telling it from tokenform's marked writes", () => {
    const spec = resolved("ci");
    const token = applied(spec);
    const tampered = { ...token, description: "edited by hand" };
    const entry = (id: string, hour: number, changes: AuditEntry["changes"]): AuditEntry => ({
      id,
      at: at(hour).toISOString(),
      account: "acct_1",
      actor: "bootstrap-admin",
      actorTokenId: "tok_self",
      action: "token.update",
      targetId: token.id,
      targetName: "ci",
      changes,
      sourceIp: "127.0.0.1",
    });
    const applyWrite = entry("a1", 1, {
      description: { from: "old", to: "" },
      appliedFor: { from: null, to: OWNER },
    });
    const handEdit = entry("a2", 2, { description: { from: "", to: "edited by hand" } });
    const plan = (audit: AuditEntry[]) =>
      computePlan({ set: tokenSet([spec]), actual: [tampered], now: at(3), audit, self: "bootstrap-admin" });
    expect(plan([handEdit, applyWrite]).drift).toEqual([
      {
        name: "ci",
        id: token.id,
        fields: [{ field: "description", from: "edited by hand", to: spec.description }],
        changedBy: "bootstrap-admin",
        changedByOwnKey: true,
        changedAt: at(2).toISOString(),
      },
    ]);
    // Another set's mark is not this set's write; a refused attempt changed nothing.
    const otherSet = entry("a3", 2.5, {
      description: { from: "x", to: "y" },
      appliedFor: { from: null, to: "o/x" },
    });
    const refused = {
      ...entry("a4", 2.7, { action: { from: null, to: "token.update" } }),
      action: "token.refused",
    };
    expect(plan([refused, otherSet, handEdit, applyWrite]).drift[0]).toMatchObject({
      changedAt: at(2.5).toISOString(),
    });
    // An entry from before writes were marked: the own key rewriting tokenform's labels was tokenform.
    const legacy = entry("a0", 2.9, {
      labels: {
        from: { "tokenform.dev/applied": "sha256:old" },
        to: { "tokenform.dev/applied": "sha256:new" },
      },
    });
    const after = plan([legacy, handEdit]).drift[0]!;
    expect(after.changedBy).toBeUndefined();
    expect(after.fields).toEqual([{ field: "description", from: "edited by hand", to: spec.description }]);
  });

  it("reports drift for a token disabled outside tokenform and plans to enable it", () => {
    const spec = resolved("ci");
    const disabled = { ...applied(spec), enabled: false, status: "disabled" as const };
    const plan = computePlan({ set: tokenSet([spec]), actual: [disabled], now: at(1) });
    expect(plan.drift[0]?.fields.map((f) => f.field)).toEqual(["enabled"]);
    expect(plan.changes.map((c) => c.kind)).toEqual(["enable"]);
  });

  it("reports stale and expiring keys", () => {
    const spec = resolved("old", { expiry: { kind: "at", at: at(40).toISOString() } });
    const token = applied(spec, { lastUsedAt: at(-1).toISOString() });
    const plan = computePlan({ set: tokenSet([spec]), actual: [token], now: at(30) });
    expect(plan.reports.stale).toEqual([
      { name: "old", id: token.id, lastUsedAt: at(-1).toISOString(), days: 31 },
    ]);
    expect(plan.reports.expiring).toEqual([
      { name: "old", id: token.id, expiresAt: at(40).toISOString(), days: 10 },
    ]);
    expect(plan.changes).toEqual([]);
  });

  it("orders changes by kind then name, and hashes stably", () => {
    const keep = resolved("keep");
    const set = tokenSet([resolved("zeta"), resolved("alpha"), resolved("keep", { description: "x" })]);
    const actual = [applied(keep), applied(resolved("gone"))];
    const a = computePlan({ set, actual, now: at(1) });
    expect(a.changes.map((c) => `${c.kind}:${c.name}`)).toEqual([
      "create:alpha",
      "create:zeta",
      "update:keep",
      "retire:gone",
    ]);
    const b = computePlan({ set, actual: [...actual].reverse(), now: at(2) });
    expect(b.hash).toBe(a.hash);
    expect(b.generatedAt).not.toBe(a.generatedAt);
    const c = computePlan({ set, actual: [{ ...actual[0]!, version: 9 }, actual[1]!], now: at(1) });
    expect(c.hash).not.toBe(a.hash);
    expect(a.owner).toBe(OWNER);
  });
});

describe("selectChanges", () => {
  it("keeps only the asked kinds and recomputes summary and hash", async () => {
    const { selectChanges, SCHEDULED_KINDS } = await import("../../../src/plan/filter.js");
    const rotating = resolved("r", { rotation: { everySeconds: 86_400, overlapSeconds: 3600 } });
    const plan = computePlan({
      set: tokenSet([resolved("new"), rotating]),
      actual: [applied(rotating), applied(resolved("gone"))],
      now: at(2),
    });
    const scheduled = selectChanges(plan, SCHEDULED_KINDS);
    expect(scheduled.changes.map((c) => c.kind)).toEqual(["rotate", "retire"]);
    expect(scheduled.summary.create).toBe(0);
    expect(scheduled.summary.rotate).toBe(1);
    expect(scheduled.hash).not.toBe(plan.hash);
  });
});
