import "reflect-metadata";
import { X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { describe, expect, it } from "vitest";
import { handshakeLine, parseHandshakeLine, readHandshakeEnv } from "../../src/runtime/handshake.js";
import { createServerIdentity } from "../../src/runtime/tls.js";

describe("server TLS identity", () => {
  it("is a self-signed CA certificate for localhost that verifies with its own key", async () => {
    const identity = createServerIdentity(new Date("2030-01-01T00:00:00Z"));
    const cert = new X509Certificate(identity.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.subjectAltName).toBe("DNS:localhost");
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.parse("2030-01-01T00:00:00Z"));
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.parse("2030-01-01T00:00:00Z"));
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");

    // An independent parser agrees.
    const parsed = new x509.X509Certificate(identity.certDer);
    expect(await parsed.verify({ signatureOnly: true })).toBe(true);
    const basic = parsed.getExtension(x509.BasicConstraintsExtension);
    expect(basic?.ca).toBe(true);
    const san = parsed.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.items.map((n) => [n.type, n.value])).toEqual([["dns", "localhost"]]);
  });

  it("is different on every start", () => {
    expect(createServerIdentity().certPem).not.toBe(createServerIdentity().certPem);
  });
});

describe("go-plugin handshake", () => {
  const cookie = {
    TF_PLUGIN_MAGIC_COOKIE: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
  };

  it("writes the certificate as unpadded standard base64 DER", () => {
    const { certDer } = createServerIdentity();
    const line = handshakeLine("/tmp/x/plugin.sock", certDer);
    expect(line.startsWith("1|6|unix|/tmp/x/plugin.sock|grpc|")).toBe(true);
    expect(line.endsWith("=")).toBe(false);
    expect(parseHandshakeLine(line).certDer.equals(certDer)).toBe(true);
  });

  it("refuses to run outside Terraform with a message for the person who ran it", () => {
    expect(() => readHandshakeEnv({})).toThrowError(/not meant to be run directly/);
    expect(() => readHandshakeEnv({ ...cookie, PLUGIN_PROTOCOL_VERSIONS: "5" })).toThrowError(/protocol 6/);
    expect(() => readHandshakeEnv({ ...cookie, PLUGIN_PROTOCOL_VERSIONS: "5,6" })).toThrowError(
      /PLUGIN_CLIENT_CERT/,
    );
    expect(
      readHandshakeEnv({
        ...cookie,
        PLUGIN_PROTOCOL_VERSIONS: "5,6",
        PLUGIN_CLIENT_CERT: "-----BEGIN CERTIFICATE-----x",
      }),
    ).toEqual({ clientCertPem: "-----BEGIN CERTIFICATE-----x" });
  });
});
