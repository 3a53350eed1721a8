import { useLiveState } from "./LiveStatusContext";

const TEXT = {
  idle: "Not connected",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
} as const;

/** Tells whether what is on screen is still moving by itself. */
export function LiveIndicator() {
  const state = useLiveState();
  // Pages without live updates have nothing to indicate.
  if (state === "idle") return null;
  return (
    <span className={`live live-${state}`} role="status" aria-live="polite" data-testid="live-indicator">
      <span className="live-dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}
