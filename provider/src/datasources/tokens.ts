/**
 * `data "tokenform_tokens"`: the owner's tokens (or every owner's) with their usage, filtered by labels,
 * status and type — for outputs, checks and dashboards. The light shell the provider lists; the behaviour
 * (tokens-impl.ts) is loaded on first use.
 */
import type { Configured } from "../configured.js";
import type { DataSourceType } from "../framework.js";
import { TOKENS_DATA_SOURCE, tokensDataSourceSchema } from "../schema.js";

const impl = () => import("./tokens-impl.js");

export const tokensDataSource: DataSourceType<Configured> = {
  typeName: TOKENS_DATA_SOURCE,
  schema: tokensDataSourceSchema,
  validate: async (config) => (await impl()).validate(config),
  read: async (config, ctx) => (await impl()).read(config, ctx),
};
