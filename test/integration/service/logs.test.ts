/**
 * The service's pino output, captured at debug level while secrets flow through every path (creation,
 * roll, verify bodies, all three auth headers, refused and forged keys, signed requests): no line may
 * contain a secret, and credential headers are redacted.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrubTokens, signRequest } from "../../../src/service/index.js";
import { generateToken } from "../../../src/spec/token-format.js";
import { serviceHarness } from "./harness.js";

describe("logs", () => {
  it("never contain a secret, whatever the request carried", async () => {
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on("data", (chunk: Buffer) => lines.push(chunk.toString()));
    await using h = await serviceHarness({ logger: createLogger({ level: "debug", destination: sink }) });
    const secrets = [h.adminToken.reveal()];
    const issued = await h.admin.createToken({
      name: "logged",
      labels: { "tokenform.dev/require-signature": "true" },
    });
    secrets.push(issued.secret.reveal());
    secrets.push((await h.admin.rollToken(issued.token.id, { overlap: "1h" })).secret.reveal());
    const forged = generateToken("mcp_sk_");
    secrets.push(forged);
    for (const raw of secrets) {
      await h.http("GET", "/v1/whoami", { headers: { authorization: `Bearer ${raw}` } });
      await h.http("GET", "/v1/whoami", { headers: { authorization: `Api-Token ${raw}` } });
      await h.http("GET", "/v1/tokens", { headers: { "x-api-key": raw } });
      await h.http("POST", "/v1/verify", { body: { token: raw, scopes: ["x:y"] } });
      const ts = String(Math.floor(h.clock.now() / 1000));
      await h.http("POST", "/v1/verify", {
        body: {
          token: raw,
          signature: {
            timestamp: ts,
            signature: signRequest(raw, { method: "POST", path: "/mcp", timestamp: ts, body: "{}" }),
            method: "POST",
            path: "/mcp",
            body: "e30=",
          },
        },
      });
      // A secret in the URL (a misuse) is still scrubbed from the access log.
      await h.http("GET", `/v1/tokens/${raw}`, { token: h.adminToken });
    }
    await h.service.close();
    const text = lines.join("");
    expect(text).toContain('"msg":"request completed"');
    expect(text).toContain('"authorization":"[redacted]"');
    expect(text).toContain('"x-api-key":"[redacted]"');
    expect(text).toContain('"msg":"key refused"');
    for (const raw of secrets) {
      expect(text).not.toContain(raw);
      expect(text).not.toContain(raw.slice(raw.lastIndexOf("_") + 1));
    }
  });

  it("scrubs any well-formed token out of a line, keeping its display prefix", () => {
    const raw = generateToken("mcp_ag_");
    const line = `{"msg":"oops ${raw} and ${raw}"}`;
    const scrubbed = scrubTokens(line);
    expect(scrubbed).not.toContain(raw);
    expect(scrubbed).toContain(`${raw.slice(0, 11)}…[redacted]`);
    expect(scrubTokens("nothing to see")).toBe("nothing to see");
  });
});
