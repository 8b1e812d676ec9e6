/**
 * The signed-request replay window: each genuine, fresh signature is admitted once (src/service/signing.ts
 * checks signatures; this owns "once"). The default keeps it in the store (`TokenStore.claimSignature`, an
 * atomic insert-if-absent that restarts and instances on one database share); with Redis configured the
 * window is kept there instead (src/service/redis/replay.ts), off the database's write path.
 */
import type { TokenStore } from "./store/types.js";

export interface ReplayWindow {
  /**
   * Records `signature` of `tokenId` until `expiresAt` (ms) and resolves true, or resolves false when it is
   * already recorded (a replay). Atomic across every instance sharing the window.
   */
  claim(tokenId: string, signature: string, expiresAt: number, now: number): Promise<boolean>;
}

/** The replay window in the store (the default). */
export function storeReplayWindow(store: TokenStore): ReplayWindow {
  return {
    claim: (tokenId, signature, expiresAt, now) => store.claimSignature(tokenId, signature, expiresAt, now),
  };
}
