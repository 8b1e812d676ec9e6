/** Paths of the fixtures and small helpers shared by the CDKTF unit tests. */
import { fileURLToPath } from "node:url";

/** `__fixtures__/<name>` as an absolute path. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
}

/** The synthesized `tokenform_token` resources of a stack, keyed by their Terraform logical id. */
export function tokenResources(synthesized: string): Record<string, Record<string, unknown>> {
  const doc = JSON.parse(synthesized) as {
    resource?: { tokenform_token?: Record<string, Record<string, unknown>> };
  };
  return doc.resource?.tokenform_token ?? {};
}
