/**
 * Everything the provider needs past the handshake, behind one function: the handlers, the provider
 * definition, and through it the API client, sinks and spec module. `main.ts` loads this on the first
 * RPC; the bundle embeds it as a separately compiled unit so a start that only hand-shakes never parses it.
 */
import { tokenformProvider } from "./provider.js";
import { ProviderHost } from "./rpc/host.js";
import { providerMethods, unary } from "./rpc/index.js";
import { PROVIDER_SERVICE, type ProviderMethodName } from "./rpc/names.js";
import type { UnaryMethod } from "./runtime/grpc.js";

/** The tfplugin6 methods as bytes → bytes gRPC methods, bound to a fresh provider. */
export function loadMethods(): Record<ProviderMethodName, UnaryMethod> {
  const messageMethods = providerMethods(new ProviderHost(tokenformProvider()));
  const out = {} as Record<ProviderMethodName, UnaryMethod>;
  for (const [name, method] of Object.entries(messageMethods)) {
    out[name as ProviderMethodName] = unary(PROVIDER_SERVICE, name, method);
  }
  return out;
}
