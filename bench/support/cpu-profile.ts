/**
 * Reading `.cpuprofile` files (V8's CPU profile JSON, as `node --cpu-prof` and the inspector write them):
 * self time per frame, summed over every profile in a directory, for "top ten self-time frames" figures.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** One frame's self time. */
export interface FrameTime {
  /** `function file:line`; V8's pseudo-frames as they are: `(garbage collector)`, `(program)`, `(idle)`. */
  frame: string;
  ms: number;
}

/** Self time per frame over every profile in `dir`, largest first; `(idle)` left out. */
export function selfTimes(dir: string): { frames: FrameTime[]; profiles: number; totalMs: number } {
  const self = new Map<string, number>();
  let profiles = 0;
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile;
    profiles++;
    const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    profile.samples.forEach((id, i) => {
      const cf = byId.get(id);
      if (cf === undefined || cf.functionName === "(idle)") return;
      const where = cf.url ? ` ${basename(cf.url).replace(/%23/g, "#")}:${cf.lineNumber + 1}` : "";
      const key = `${cf.functionName || "(anonymous)"}${where}`;
      const us = profile.timeDeltas[i] ?? 0;
      self.set(key, (self.get(key) ?? 0) + us);
      total += us;
    });
  }
  const frames = [...self].map(([frame, us]) => ({ frame, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { frames, profiles, totalMs: total / 1000 };
}
