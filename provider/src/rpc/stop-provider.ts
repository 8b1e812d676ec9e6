/**
 * StopProvider: Terraform was interrupted (Ctrl-C). In-flight calls see their signal abort and finish
 * what keeps the world consistent (a created token is confirmed or revoked, never left half-delivered).
 */
import type { ProviderHost } from "./host.js";

export async function stopProvider<C>(host: ProviderHost<C>): Promise<{ error: string }> {
  host.stop();
  return { error: "" };
}
