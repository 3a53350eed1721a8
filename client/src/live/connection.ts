// The live connection (graphql-transport-ws over /graphql) and its state for the indicator.
import { createClient, type Client as WsClient } from "graphql-ws";
import type { SessionStore } from "../session/sessionStore";

export type LiveState = "idle" | "connecting" | "live" | "reconnecting";

type Listener = () => void;

/** Observable connection state, for the "live / reconnecting" indicator. */
export class LiveStatus {
  private state: LiveState = "idle";
  private everConnected = false;
  private listeners = new Set<Listener>();

  getState = (): LiveState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(state: LiveState): void {
    if (state === "live") this.everConnected = true;
    if (state === "connecting" && this.everConnected) state = "reconnecting";
    if (state === this.state) return;
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}

function socketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss:" : "ws:"}//${host}/graphql`;
}

/** Capped exponential backoff with full jitter, so a restarted server is not stormed. */
function backoff(retries: number): Promise<void> {
  const cap = Math.min(8_000, 500 * 2 ** retries);
  return new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * cap));
}

export function createLiveConnection(session: SessionStore, status: LiveStatus): WsClient {
  const client = createClient({
    url: socketUrl(),
    lazy: true,
    lazyCloseTimeout: 3_000,
    keepAlive: 20_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: backoff,
    // Any close or network error is worth a retry (server restart, deploy, Wi-Fi); auth
    // problems close with 44xx codes that graphql-ws treats as fatal: the caller handles those.
    shouldRetry: () => true,
    connectionParams: async () => {
      if (session.isExpiringSoon()) await session.refresh();
      const token = session.accessToken();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
  });
  client.on("connecting", () => status.set("connecting"));
  client.on("connected", () => status.set("live"));
  client.on("closed", () => status.set(status.getState() === "idle" ? "idle" : "reconnecting"));
  return client;
}
