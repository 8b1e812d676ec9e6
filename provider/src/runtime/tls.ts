/**
 * The provider's TLS identity for go-plugin's automatic mTLS: a fresh ECDSA P-256 key and a self-signed
 * certificate for `localhost` (Terraform checks that name) that is its own CA, valid for this run only.
 *
 * The certificate is assembled here in DER with node:crypto rather than with @peculiar/x509: loading that
 * library (and the DI container it needs) costs ~60 ms at every provider start on these machines, and
 * Terraform starts the provider 3–5 times per command. The tests check the result with @peculiar/x509
 * and node's X509Certificate, and Terraform itself accepts it.
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";

/** The certificate Terraform is told about in the handshake, and the key the server uses. */
export interface ServerIdentity {
  /** PEM certificate for the TLS server. */
  certPem: string;
  /** PEM PKCS#8 private key for the TLS server. */
  keyPem: string;
  /** DER certificate; the handshake carries it base64-encoded. */
  certDer: Buffer;
}

/** Validity back-dating, so a slightly slow clock on the other side still accepts the certificate. */
const NOT_BEFORE_SKEW_MS = 30_000;
/** go-plugin's own certificates live 30 years; ours only need to outlive one Terraform command. */
const LIFETIME_MS = 24 * 3600_000;

// --- minimal DER encoder ---------------------------------------------------------------------------
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const octets = (body: Buffer) => tlv(0x04, body);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
function integer(bytes: Buffer): Buffer {
  // Positive INTEGER: strip leading zeros, keep one if the high bit is set.
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  return tlv(0x02, (b[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}
function utcTime(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, "").slice(2, 14);
  return tlv(0x17, Buffer.from(`${s}Z`, "ascii"));
}

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** Creates a fresh key pair and a self-signed CA certificate for `localhost`. */
export function createServerIdentity(now = new Date()): ServerIdentity {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const name = seq(
    set(seq(oid(OID.organization), utf8("tokenform"))),
    set(seq(oid(OID.commonName), utf8("localhost"))),
  );
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  // keyUsage bits: digitalSignature (0), keyEncipherment (2), keyCertSign (5) → 1010 0100, 2 unused bits.
  const keyUsage = bitString(Buffer.from([0b1010_0100]), 2);
  const extensions = seq(
    extension(OID.basicConstraints, true, seq(bool(true))),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
    // GeneralName dNSName is [2] IMPLICIT IA5String.
    extension(OID.subjectAltName, false, seq(tlv(0x82, Buffer.from("localhost", "ascii")))),
  );
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name,
    seq(
      utcTime(new Date(now.getTime() - NOT_BEFORE_SKEW_MS)),
      utcTime(new Date(now.getTime() + LIFETIME_MS)),
    ),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, privateKey);
  const certDer = seq(tbs, algorithm, bitString(signature));
  const base64 = certDer.toString("base64");
  const certPem = `-----BEGIN CERTIFICATE-----\n${base64.replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  return { certPem, keyPem, certDer };
}
