/**
 * What a provider, a resource type and a data source type must offer the RPC handlers: schemas plus
 * plain functions over decoded values. The handlers in `rpc/` own the protocol; implementations of these
 * interfaces (`resources/`, `datasources/`, `provider.ts`) own the meaning and never see protobuf.
 */
import type { AttributePath, Diagnostic } from "./runtime/diagnostics.js";
import type { Schema } from "./runtime/schema.js";
import type { TfObject } from "./runtime/values.js";

/** Shared by every call after ConfigureProvider: the configured clients and the stop signal. */
export interface CallContext<Configured> {
  /** The provider's configuration result; throws a diagnostic-worthy error when not configured. */
  configured(): Configured;
  /** Aborted when Terraform asks the provider to stop (Ctrl-C) or the call is cancelled. */
  signal: AbortSignal;
}

/** A managed resource type. */
export interface ResourceType<Configured> {
  typeName: string;
  schema: Schema;
  /**
   * Checks a configuration (values may be unknown). `ctx` is the call's context: Terraform validates before
   * configuring in some commands and after in others (a plan's own process), so it may be unconfigured.
   */
  validate(config: TfObject, ctx: CallContext<Configured>): Promise<Diagnostic[]>;
  /** Refreshes state from the real object; null when it is gone. */
  read(
    state: TfObject,
    ctx: CallContext<Configured>,
  ): Promise<{ state: TfObject | null; diagnostics: Diagnostic[] }>;
  /** Proposes the new state (unknown where apply decides) and which changes force replacement. */
  plan(
    change: { prior: TfObject | null; proposed: TfObject | null; config: TfObject | null },
    ctx: CallContext<Configured>,
  ): Promise<{ planned: TfObject | null; requiresReplace: AttributePath[]; diagnostics: Diagnostic[] }>;
  /** Carries out a planned create, update or destroy. */
  apply(
    change: { prior: TfObject | null; planned: TfObject | null; config: TfObject | null },
    ctx: CallContext<Configured>,
  ): Promise<{ state: TfObject | null; diagnostics: Diagnostic[] }>;
  /** Builds the state of an existing object from its id (Terraform then reads it). */
  import(
    id: string,
    ctx: CallContext<Configured>,
  ): Promise<{ state: TfObject | null; diagnostics: Diagnostic[] }>;
}

/** A data source type. */
export interface DataSourceType<Configured> {
  typeName: string;
  schema: Schema;
  validate(config: TfObject): Promise<Diagnostic[]>;
  read(
    config: TfObject,
    ctx: CallContext<Configured>,
  ): Promise<{ state: TfObject | null; diagnostics: Diagnostic[] }>;
}

/** The provider itself: its configuration schema and how a configuration becomes `Configured`. */
export interface ProviderType<Configured> {
  /** Registry address, e.g. `registry.terraform.io/tokenform/tokenform`. */
  address: string;
  version: string;
  schema: Schema;
  resources: ReadonlyArray<ResourceType<Configured>>;
  dataSources: ReadonlyArray<DataSourceType<Configured>>;
  validate(config: TfObject): Promise<Diagnostic[]>;
  /**
   * Turns an error a call threw into a diagnostic when it is one the user can act on (the API refused,
   * the service is unreachable); undefined for real faults, which are reported as bugs.
   */
  describeError(err: unknown, during: string): Diagnostic | undefined;
  /** Turns the configuration into clients; diagnostics explain a configuration that cannot work. */
  configure(
    config: TfObject,
    terraformVersion: string,
  ): Promise<{ configured?: Configured; diagnostics: Diagnostic[] }>;
}

/** Thrown by `CallContext.configured()` before ConfigureProvider succeeded. */
export class NotConfigured extends Error {
  override readonly name = "NotConfigured";
}
