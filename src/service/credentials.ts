/**
 * Finding the API key in a request's headers. Accepted: `Authorization: Bearer <key>`,
 * `Authorization: Api-Token <key>` (scheme case-insensitive) and `X-API-Key: <key>`. When both are sent,
 * `Authorization` wins if it carries one of the accepted schemes.
 */

/** What the headers hold: a key, nothing, or something that is not a usable credential. */
export type CredentialLookup = { kind: "key"; key: string } | { kind: "missing" } | { kind: "malformed" };

/** Longest header value worth looking at; tokens are ~45 characters, the cap keeps garbage cheap to refuse. */
const MAX_CREDENTIAL_LENGTH = 1024;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Extracts the key from Node-style lower-cased headers. */
export function credentialFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): CredentialLookup {
  const authorization = single(headers.authorization);
  const apiKey = single(headers["x-api-key"]);
  if (authorization !== undefined && authorization.trim() !== "") {
    const match = /^\s*(bearer|api-token)\s+(\S+)\s*$/i.exec(
      authorization.slice(0, MAX_CREDENTIAL_LENGTH + 20),
    );
    if (match)
      return match[2]!.length > MAX_CREDENTIAL_LENGTH
        ? { kind: "malformed" }
        : { kind: "key", key: match[2]! };
    if (apiKey === undefined) return { kind: "malformed" };
  }
  if (apiKey !== undefined) {
    const key = apiKey.trim();
    if (key === "") return { kind: "missing" };
    return key.length > MAX_CREDENTIAL_LENGTH || /\s/.test(key)
      ? { kind: "malformed" }
      : { kind: "key", key };
  }
  return { kind: "missing" };
}
