/**
 * A stand-in for GitHub's published secret scanning keys: an ECDSA P-256 key pair made for the test, its
 * public key served on a loopback port in the shape of `GET /meta/public_keys/secret_scanning`
 * (`public_keys[]`: `key_identifier`, `key` PEM, `is_current`), and `sign(body)` giving the headers GitHub
 * would send with that body. Only the public half leaves the test.
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface GithubAlertKeyServer extends AsyncDisposable {
  /** The URL to give the service as its keys URL. */
  url: string;
  keyId: string;
  /** How many times the keys were fetched. */
  fetches(): number;
  /** The headers GitHub sends with `body` (a signature by this test's key). */
  sign(body: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startGithubAlertKeys(): Promise<GithubAlertKeyServer> {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const keyId = createHash("sha256").update(pem).digest("hex");
  let fetched = 0;
  const server = createServer((_req, res) => {
    fetched += 1;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ public_keys: [{ key_identifier: keyId, key: pem, is_current: true }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`,
    keyId,
    fetches: () => fetched,
    sign: (body) => ({
      "github-public-key-identifier": keyId,
      "github-public-key-signature": sign("sha256", Buffer.from(body), privateKey).toString("base64"),
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
