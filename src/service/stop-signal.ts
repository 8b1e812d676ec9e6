/**
 * Waiting for the signal that stops a long-running command (`tokenform serve`, `tokenform gateway`). The
 * listeners are installed at once — before anything starts, so a signal during start-up still shuts down
 * cleanly — and removed when the signal has come or the command gives up.
 */
export interface StopSignal {
  /** Resolves with the first of the signals to arrive. */
  readonly stopped: Promise<NodeJS.Signals>;
  /** Removes the listeners (after the signal came, or when start-up failed). */
  release(): void;
}

/** Listens for `signals` (default SIGTERM and SIGINT). */
export function stopSignal(signals: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"]): StopSignal {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  for (const s of signals) process.once(s, onSignal);
  return {
    stopped,
    release: () => {
      for (const s of signals) process.removeListener(s, onSignal);
    },
  };
}
