/**
 * Where a `terraform` command's time goes, read from its own log (`TF_LOG=trace`, `TF_LOG_PATH`): each
 * provider process Terraform starts — spawn to handshake ("starting plugin" → "using plugin"), then the
 * time it served RPCs until it exited — and how many of each RPC Terraform made. Terraform walks its
 * graphs one after another, so the processes follow one another and the rest of the command is
 * Terraform's own work (and its waiting on RPC answers inside the processes' serving time).
 */
import { readFileSync } from "node:fs";

/** One provider process. */
export interface ProviderProcess {
  /** Spawn to handshake line, ms. */
  handshakeMs: number;
  /** Handshake to exit: RPCs served (methods loaded, calls answered), ms. */
  servingMs: number;
  /** The RPCs Terraform made to it, by name. */
  rpcs: Record<string, number>;
}

const LINE = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) \[\w+\]\s+(.*)$/;
const RPC = /^GRPCProvider(?:\.v6)?: (\w+)$/;

/** The provider processes of one command, in the order Terraform started them, and the log's span. */
export function providerProcesses(logFile: string): { processes: ProviderProcess[]; spanMs: number } {
  const processes: ProviderProcess[] = [];
  let current: { started: number; handshake?: number; rpcs: Record<string, number> } | undefined;
  let first: number | undefined;
  let last = 0;
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const at = Date.parse(m[1]!);
    first ??= at;
    last = at;
    const text = m[2]!;
    if (text.startsWith("provider: starting plugin:")) current = { started: at, rpcs: {} };
    else if (current && text.startsWith("provider: using plugin:")) current.handshake = at;
    else if (current && text.startsWith("provider: plugin process exited:")) {
      const handshake = current.handshake ?? at;
      processes.push({
        handshakeMs: handshake - current.started,
        servingMs: at - handshake,
        rpcs: current.rpcs,
      });
      current = undefined;
    } else if (current) {
      const rpc = RPC.exec(text)?.[1];
      if (rpc !== undefined && rpc !== "Close") current.rpcs[rpc] = (current.rpcs[rpc] ?? 0) + 1;
    }
  }
  return { processes, spanMs: first === undefined ? 0 : last - first };
}
