/**
 * The state one provider process keeps between RPCs: the provider definition, its configuration once
 * ConfigureProvider succeeded, and the stop signal StopProvider fires. Handlers in this folder receive it.
 */
import { type CallContext, NotConfigured, type ProviderType } from "../framework.js";
import { type Diagnostic, faultDiagnostic } from "../runtime/diagnostics.js";
import { GrpcError, Status } from "../runtime/grpc.js";
import type { Schema } from "../runtime/schema.js";

/** The call an RPC handler serves; its signal is read only when a handler needs it (runtime/grpc.ts makes it then). */
export interface CallSignal {
  readonly signal: AbortSignal;
}

export class ProviderHost<Configured> {
  #configured: Configured | undefined;
  readonly #stop = new AbortController();

  constructor(readonly provider: ProviderType<Configured>) {}

  /** Records a successful configuration. */
  setConfigured(configured: Configured): void {
    this.#configured = configured;
  }

  /** Fires the stop signal (StopProvider: Terraform was interrupted). */
  stop(): void {
    this.#stop.abort(new Error("Terraform asked the provider to stop"));
  }

  /** True once StopProvider was called. */
  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /**
   * A call context whose signal fires on StopProvider or when the call is cancelled. The combined signal is
   * made when a call first asks for it: most calls (refreshes, plans) never do, and `AbortSignal.any` is
   * not free in Node 20 (it showed among a plan's top CPU frames, made for each of hundreds of calls).
   */
  context(call?: CallSignal): CallContext<Configured> {
    const stop = this.#stop.signal;
    let signal: AbortSignal | undefined;
    return {
      get signal() {
        signal ??= call ? AbortSignal.any([stop, call.signal]) : stop;
        return signal;
      },
      configured: () => {
        if (this.#configured === undefined) {
          throw new NotConfigured("the provider is not configured yet (ConfigureProvider was not called)");
        }
        return this.#configured;
      },
    };
  }

  resource(typeName: string) {
    const r = this.provider.resources.find((x) => x.typeName === typeName);
    if (!r) throw new GrpcError(Status.INVALID_ARGUMENT, `unknown resource type ${JSON.stringify(typeName)}`);
    return r;
  }

  dataSource(typeName: string) {
    const d = this.provider.dataSources.find((x) => x.typeName === typeName);
    if (!d)
      throw new GrpcError(Status.INVALID_ARGUMENT, `unknown data source type ${JSON.stringify(typeName)}`);
    return d;
  }

  /** The diagnostic for an error a call threw: the provider's explanation, else a bug report. */
  failure(during: string, err: unknown): Diagnostic {
    return this.provider.describeError(err, during) ?? faultDiagnostic(during, err);
  }

  /** Schema lookups for the converters. */
  readonly resourceSchema = (typeName: string): Schema => this.resource(typeName).schema;
  readonly dataSourceSchema = (typeName: string): Schema => this.dataSource(typeName).schema;
}
