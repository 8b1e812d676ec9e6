/**
 * `--trust-proxy <hops|cidr...>` for `serve` and `gateway`: each value is checked as it enters, with the
 * schema the service itself uses (`parseProxyTrust`, src/service/client-address.ts), so a bad value is a
 * usage error (exit 2) naming the flag.
 */
import { InvalidArgumentError } from "commander";
import { parseProxyTrust } from "../service/client-address.js";

/** Commander's parser for a repeatable `--trust-proxy`: the values so far, validated together. */
export function trustProxyArgument(value: string, previous: string[] | undefined): string[] {
  const values = [...(previous ?? []), value];
  const parsed = parseProxyTrust(values);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.problem);
  return values;
}

/** The flag's help text. */
export const TRUST_PROXY_HELP =
  "how far X-Forwarded-For is believed: a hop count (1 = one proxy in front) or the proxies' addresses/CIDRs (default: not at all)";
