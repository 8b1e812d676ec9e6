/** A `tokenform_token` configuration for unit tests: the token `backend-ci`, no delivery blocks unless given. */
import type { TfObject } from "../../src/runtime/values.js";

export function tokenConfig(overrides: TfObject = {}): TfObject {
  return {
    name: "backend-ci",
    scopes: ["contexts:read"],
    github_secret: [],
    gitlab_variable: [],
    file: [],
    ...overrides,
  };
}
