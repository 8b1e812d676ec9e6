/**
 * The error a `TokenSet` construct throws for an invalid spec: its message is the diagnostics rendered as
 * `tokenform validate` prints them (text, no colour, code frames for files), so `cdktf synth` stops with
 * the same `file:line:column` errors. Secret-looking values are already masked in diagnostics.
 */
import type { Diagnostic } from "../spec/diagnostics.js";
import { renderDiagnostics } from "../spec/render.js";

export class TokenSpecError extends Error {
  override readonly name = "TokenSpecError";

  constructor(
    /** Every diagnostic of the spec (errors and warnings), in the loader's order. */
    readonly diagnostics: readonly Diagnostic[],
    /** File texts for code frames; empty for specs given as objects. */
    sources: ReadonlyMap<string, string> = new Map(),
  ) {
    super(renderDiagnostics(diagnostics, { format: "text", color: false, sources }).trimEnd());
  }
}
