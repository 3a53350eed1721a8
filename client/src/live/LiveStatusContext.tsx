import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { LiveState, LiveStatus } from "./connection";

const LiveStatusContext = createContext<LiveStatus | null>(null);

export function LiveStatusProvider({ status, children }: { status: LiveStatus; children: ReactNode }) {
  return <LiveStatusContext.Provider value={status}>{children}</LiveStatusContext.Provider>;
}

export function useLiveState(): LiveState {
  const status = useContext(LiveStatusContext);
  if (!status) throw new Error("useLiveState outside LiveStatusProvider");
  return useSyncExternalStore(status.subscribe, status.getState);
}
