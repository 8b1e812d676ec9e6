/** Shared fixtures for the sink integration tests: secrets, a libsodium keypair, leak assertions, nock setup. */
import { inspect } from "node:util";
import sodium from "libsodium-wrappers";
import nock from "nock";
import { expect } from "vitest";
import { SecretValue } from "../../../src/api/secret.js";
import type { DeliveryContext } from "../../../src/sinks/types.js";
import { DeliveryError } from "../../../src/sinks/types.js";
import { generateToken } from "../../../src/spec/token-format.js";

/** A freshly issued tokenform token, wrapped as the sinks receive it. */
export function issueSecret(): SecretValue {
  return new SecretValue(generateToken("mcp_sk_"));
}

export const context: DeliveryContext = { tokenName: "backend-ci", owner: "acme/platform-infra" };

/** A real Curve25519 keypair; `publicKey` is base64 (ORIGINAL), as GitHub serves it. */
export async function keypair(): Promise<{ publicKey: string; open(sealedBase64: string): string }> {
  await sodium.ready;
  const kp = sodium.crypto_box_keypair();
  return {
    publicKey: sodium.to_base64(kp.publicKey, sodium.base64_variants.ORIGINAL),
    open(sealedBase64: string): string {
      const sealed = sodium.from_base64(sealedBase64, sodium.base64_variants.ORIGINAL);
      return sodium.to_string(sodium.crypto_box_seal_open(sealed, kp.publicKey, kp.privateKey));
    },
  };
}

/** Only loopback may be reached; every test must use up its interceptors. */
export function lockNetwork(): void {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
}

/** Awaits `promise`, expects a DeliveryError and returns it. */
export async function deliveryError(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

/** Asserts that none of `raw` appears in the error's message, stack or `util.inspect` form. */
export function expectNoLeak(error: Error, ...raw: string[]): void {
  const views = [
    error.message,
    error.stack ?? "",
    inspect(error, { depth: 10, showHidden: true }),
    String(error),
  ];
  for (const secret of raw) {
    for (const view of views) expect(view).not.toContain(secret);
  }
  expect(error.cause).toBeUndefined();
}
