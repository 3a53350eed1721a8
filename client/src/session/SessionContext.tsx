import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { Session, SessionState, SessionStore } from "./sessionStore";

const SessionStoreContext = createContext<SessionStore | null>(null);

export function SessionStoreProvider({ store, children }: { store: SessionStore; children: ReactNode }) {
  return <SessionStoreContext.Provider value={store}>{children}</SessionStoreContext.Provider>;
}

export function useSessionStore(): SessionStore {
  const store = useContext(SessionStoreContext);
  if (!store) throw new Error("useSessionStore outside SessionStoreProvider");
  return store;
}

export function useSessionState(): SessionState {
  const store = useSessionStore();
  return useSyncExternalStore(store.subscribe, store.getState);
}

/** The active session; only for screens rendered behind the login. */
export function useSession(): Session {
  const state = useSessionState();
  if (state.status !== "active") throw new Error("useSession without an active session");
  return state.session;
}
