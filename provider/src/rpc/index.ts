/**
 * The method table: for each RPC, message decoding, the protobuf → protocol conversion, the handler, and
 * the way back. This is where protobuf meets the handlers; the handlers only see protocol types.
 */
import * as from from "../protocol/fromproto.js";
import * as to from "../protocol/toproto.js";
import type { CallContext, UnaryMethod } from "../runtime/grpc.js";
import { type Message, type MessageCodec, messageCodec, methodTypes } from "../runtime/proto.js";
import { applyResourceChange } from "./apply-resource-change.js";
import { configureProvider } from "./configure-provider.js";
import { getMetadata } from "./get-metadata.js";
import { getProviderSchema } from "./get-provider-schema.js";
import type { ProviderHost } from "./host.js";
import { importResourceState } from "./import-resource-state.js";
import type { ProviderMethodName } from "./names.js";
import { planResourceChange } from "./plan-resource-change.js";
import { readDataSource } from "./read-data-source.js";
import { readResource } from "./read-resource.js";
import { stopProvider } from "./stop-provider.js";
import { upgradeResourceState } from "./upgrade-resource-state.js";
import { validateDataResourceConfig } from "./validate-data-resource-config.js";
import { validateProviderConfig } from "./validate-provider-config.js";
import { validateResourceConfig } from "./validate-resource-config.js";

/** A method on decoded messages. */
type MessageMethod = (request: Message, call: CallContext) => Promise<Message>;

/** The tfplugin6.Provider methods bound to a host, by method name. */
export function providerMethods<C>(host: ProviderHost<C>): Record<ProviderMethodName, MessageMethod> {
  const provider = host.provider;
  let schemaResponse: Promise<Message> | undefined;
  return {
    GetMetadata: async () => to.getMetadata(await getMetadata(host)),
    // Built once per process: the schema never changes.
    GetProviderSchema: () => {
      schemaResponse ??= getProviderSchema(host).then(to.getProviderSchema);
      return schemaResponse;
    },
    ValidateProviderConfig: async (m) =>
      to.diagnosticsOnly(await validateProviderConfig(host, from.validateProviderConfig(m, provider.schema))),
    ValidateResourceConfig: async (m) =>
      to.diagnosticsOnly(await validateResourceConfig(host, from.validateConfig(m, host.resourceSchema))),
    ValidateDataResourceConfig: async (m) =>
      to.diagnosticsOnly(
        await validateDataResourceConfig(host, from.validateConfig(m, host.dataSourceSchema)),
      ),
    UpgradeResourceState: async (m) =>
      to.upgradeResourceState(await upgradeResourceState(host, from.upgradeResourceState(m))),
    ConfigureProvider: async (m) =>
      to.diagnosticsOnly(await configureProvider(host, from.configureProvider(m, provider.schema))),
    ReadResource: async (m, call) => {
      const req = from.readResource(m, host.resourceSchema);
      return to.readResource(await readResource(host, req, call), host.resourceSchema(req.typeName));
    },
    PlanResourceChange: async (m, call) => {
      const req = from.planResourceChange(m, host.resourceSchema);
      return to.planResourceChange(
        await planResourceChange(host, req, call),
        host.resourceSchema(req.typeName),
      );
    },
    ApplyResourceChange: async (m, call) => {
      const req = from.applyResourceChange(m, host.resourceSchema);
      return to.applyResourceChange(
        await applyResourceChange(host, req, call),
        host.resourceSchema(req.typeName),
      );
    },
    ImportResourceState: async (m, call) =>
      to.importResourceState(
        await importResourceState(host, from.importResourceState(m), call),
        host.resourceSchema,
      ),
    ReadDataSource: async (m, call) => {
      const req = from.readDataSource(m, host.dataSourceSchema);
      return to.readDataSource(await readDataSource(host, req, call), host.dataSourceSchema(req.typeName));
    },
    StopProvider: async () => {
      const r = await stopProvider(host);
      return r.error ? { Error: r.error } : {};
    },
  };
}

/** Wraps a message method as a bytes → bytes gRPC method using the .proto's request/response types. */
export function unary(service: string, name: string, method: MessageMethod): UnaryMethod {
  // Codecs are looked up on the first call: most provider processes serve only a few of the methods.
  let codecs: { request: MessageCodec; response: MessageCodec } | undefined;
  return async (bytes, call) => {
    if (!codecs) {
      const types = methodTypes(service, name);
      codecs = { request: messageCodec(types.request), response: messageCodec(types.response) };
    }
    return codecs.response.encode(await method(codecs.request.decode(bytes), call));
  };
}
