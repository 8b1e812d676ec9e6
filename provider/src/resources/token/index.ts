/**
 * `tokenform_token`: one TokenSpec entry as a Terraform resource. This module is the light shell the
 * provider lists (type name and schema); the behaviour (impl.ts: spec rules, API client, apply engine) is
 * loaded on the first call that needs it, so a provider process that only serves the schema never loads
 * zod, the client or the sinks.
 */
import type { Configured } from "../../configured.js";
import type { ResourceType } from "../../framework.js";
import { TOKEN_RESOURCE, tokenResourceSchema } from "../../schema.js";

type Impl = ReturnType<typeof import("./impl.js").tokenResourceImpl>;

export function tokenResource(): ResourceType<Configured> {
  let impl: Promise<Impl> | undefined;
  const load = () => {
    impl ??= import("./impl.js").then((m) => m.tokenResourceImpl());
    return impl;
  };
  return {
    typeName: TOKEN_RESOURCE,
    schema: tokenResourceSchema,
    validate: async (config, ctx) => (await load()).validate(config, ctx),
    read: async (state, ctx) => (await load()).read(state, ctx),
    plan: async (change, ctx) => (await load()).plan(change, ctx),
    apply: async (change, ctx) => (await load()).apply(change, ctx),
    import: async (id, ctx) => (await load()).import(id, ctx),
  };
}
