/**
 * Whether a dashboard request reached us over HTTPS, which decides the session cookie's `Secure` flag: a
 * TLS socket, or `X-Forwarded-Proto: https` from a proxy the service trusts (`--trust-proxy`, the same
 * setting that decides whose `X-Forwarded-For` is believed; src/service/client-address.ts).
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { ProxyTrust } from "../service/client-address.js";
import { inRanges, parseAddress } from "../service/ip.js";

function trustedPeer(remoteAddress: string | undefined, trust: ProxyTrust): boolean {
  if (trust.kind === "none") return false;
  if (trust.kind === "hops") return true;
  const peer = remoteAddress === undefined ? undefined : parseAddress(remoteAddress);
  return peer !== undefined && inRanges(peer, trust.ranges);
}

export function isHttps(req: IncomingMessage, trust: ProxyTrust): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  const proto = req.headers["x-forwarded-proto"];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(",")[0]?.trim().toLowerCase();
  return first === "https" && trustedPeer(req.socket.remoteAddress, trust);
}
