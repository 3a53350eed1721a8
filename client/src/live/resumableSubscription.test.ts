import type { Client as WsClient, Sink } from "graphql-ws";
import { SessionStore } from "../session/sessionStore";
import { subscribeResumable } from "./resumableSubscription";

/** A graphql-ws client that records what it was asked to send and lets the test drive the sink. */
function fakeWs() {
  const calls: Array<{ payload: { query: string; variables: Record<string, unknown> }; sink: Sink }> = [];
  const ws = {
    subscribe: (payload: { query: string; variables: Record<string, unknown> }, sink: Sink) => {
      calls.push({ payload, sink });
      return () => undefined;
    },
  } as unknown as WsClient;
  return { ws, calls };
}

const event = (cursor: string) => ({ data: { caseEvents: { id: `e${cursor}`, cursor } } });

describe("subscribeResumable", () => {
  it("keeps `after` at the newest cursor, so a reconnect replays only what was missed", () => {
    const { ws, calls } = fakeWs();
    const seen: unknown[] = [];
    subscribeResumable(ws, new SessionStore(), { query: "subscription", variables: { caseId: null, after: "10" } }, {
      next: (value) => seen.push(value),
      error: () => undefined,
      complete: () => undefined,
    });
    const first = calls[0]!;
    first.sink.next(event("11"));
    first.sink.next(event("12"));
    // graphql-ws re-sends this very payload object when it reconnects.
    expect(first.payload.variables).toEqual({ caseId: null, after: "12" });
    expect(seen).toHaveLength(2);
  });

  it("refreshes the session and resubscribes from the last cursor when the token is refused", async () => {
    const { ws, calls } = fakeWs();
    const store = new SessionStore(async () =>
      new Response(
        JSON.stringify({
          accessToken: "fresh",
          accessTokenExpiresAt: new Date(Date.now() + 900_000).toISOString(),
          user: { id: "u", name: "A", email: null, role: "AGENT" },
        }),
      ),
    );
    const errors: unknown[] = [];
    subscribeResumable(ws, store, { query: "s", variables: { after: null } }, {
      next: () => undefined,
      error: (e) => errors.push(e),
      complete: () => undefined,
    });
    calls[0]!.sink.next(event("7"));
    calls[0]!.sink.error({ code: 4401, reason: "token expired" });
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(calls[1]!.payload.variables.after).toBe("7");
    expect(store.accessToken()).toBe("fresh");
    expect(errors).toEqual([]);
  });

  it("gives up when the session cannot be refreshed", async () => {
    const { ws, calls } = fakeWs();
    const store = new SessionStore(async () => new Response("{}", { status: 401 }));
    const errors: unknown[] = [];
    subscribeResumable(ws, store, { query: "s", variables: { after: null } }, {
      next: () => undefined,
      error: (e) => errors.push(e),
      complete: () => undefined,
    });
    calls[0]!.sink.error({ code: 4403, reason: "forbidden" });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(calls).toHaveLength(1);
  });
});
