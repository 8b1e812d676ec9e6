/**
 * Encrypts a secret for GitHub: a libsodium sealed box (`crypto_box_seal`) to the target's Curve25519
 * public key, base64 (ORIGINAL variant, with padding) as GitHub's "create or update secret" endpoints want.
 */
import sodium from "libsodium-wrappers";

/** Seals `plaintext` to `publicKeyBase64` (GitHub's `key` field) and returns `encrypted_value`. */
export async function sealForGithub(publicKeyBase64: string, plaintext: string): Promise<string> {
  await sodium.ready;
  const publicKey = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) {
    throw new Error(
      `GitHub public key has ${publicKey.length} bytes, expected ${sodium.crypto_box_PUBLICKEYBYTES}`,
    );
  }
  const sealed = sodium.crypto_box_seal(sodium.from_string(plaintext), publicKey);
  return sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL);
}
