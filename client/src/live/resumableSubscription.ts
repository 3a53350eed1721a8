// Subscriptions that resume where they left off. graphql-ws re-sends the *same* payload object
// when it reconnects, so keeping `variables.after` at the newest cursor received makes the
// server replay exactly the events that were missed: nothing lost, nothing twice.
import type { Client as WsClient, FormattedExecutionResult } from "graphql-ws";
import type { SessionStore } from "../session/sessionStore";

interface Sink {
  next(value: FormattedExecutionResult<Record<string, unknown>, unknown>): void;
  error(error: unknown): void;
  complete(): void;
}

export interface SubscriptionRequest {
  query: string;
  variables?: Record<string, unknown>;
}

/** Close codes that mean "your token is not good any more": refresh it and subscribe again. */
const AUTH_CLOSE_CODES = new Set([4401, 4403]);

function newestCursor(result: FormattedExecutionResult<Record<string, unknown>, unknown>): string | null {
  const data = result.data as Record<string, unknown> | null | undefined;
  if (!data) return null;
  for (const value of Object.values(data)) {
    if (typeof value === "object" && value !== null && "cursor" in value) {
      const cursor = (value as { cursor: unknown }).cursor;
      if (typeof cursor === "string") return cursor;
    }
  }
  return null;
}

function isCloseEvent(error: unknown): error is { code: number; reason: string } {
  return typeof error === "object" && error !== null && "code" in error && "reason" in error;
}

export function subscribeResumable(
  ws: WsClient,
  session: SessionStore,
  request: SubscriptionRequest,
  sink: Sink,
): () => void {
  const payload = { query: request.query, variables: { ...(request.variables ?? {}) } };
  const resumable = "after" in payload.variables;
  let stop: (() => void) | null = null;
  let cancelled = false;
  let authRetries = 0;

  const start = (): void => {
    stop = ws.subscribe<Record<string, unknown>>(payload, {
      next(result) {
        authRetries = 0;
        const cursor = resumable ? newestCursor(result) : null;
        if (cursor) payload.variables.after = cursor;
        sink.next(result);
      },
      error(error) {
        if (!cancelled && isCloseEvent(error) && AUTH_CLOSE_CODES.has(error.code) && authRetries < 3) {
          authRetries += 1;
          void session.refresh().then((fresh) => {
            if (fresh && !cancelled) start();
            else sink.error(error);
          });
          return;
        }
        sink.error(error);
      },
      complete() {
        if (!cancelled) sink.complete();
      },
    });
  };
  start();
  return () => {
    cancelled = true;
    stop?.();
  };
}
