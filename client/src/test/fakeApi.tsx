// Test helpers for every screen: a urql client answered by the test (by operation name), with every
// query and mutation recorded, inside the providers the screens need.
import type { ReactNode } from "react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { Provider, type Client, type OperationResult } from "urql";
import { fromArray, fromValue, never } from "wonka";
import type { Role } from "../gql/graphql";
import { LiveStatus } from "../live/connection";
import { LiveStatusProvider } from "../live/LiveStatusContext";
import { SessionStoreProvider } from "../session/SessionContext";
import { SessionStore, type SessionUser } from "../session/sessionStore";

export type Vars = Record<string, unknown>;
export type Answer = (operationName: string, variables: Vars) => unknown;

export interface FakeApi {
  client: Client;
  queries: Array<{ name: string; variables: Vars }>;
  mutations: Array<{ name: string; variables: Vars }>;
  lastQuery(name: string): Vars | undefined;
}

function nameOf(query: unknown): string {
  const doc = query as { definitions: ReadonlyArray<{ name?: { value: string } }> };
  return doc.definitions[0]?.name?.value ?? "";
}

export function fakeApi(answer: Answer, liveEvents: ReadonlyArray<unknown> = []): FakeApi {
  const api: FakeApi = {
    client: null as unknown as Client,
    queries: [],
    mutations: [],
    lastQuery(name) {
      return [...this.queries].reverse().find((q) => q.name === name)?.variables;
    },
  };
  const run = (kind: "queries" | "mutations") => (operation: { query: unknown; variables?: unknown }) => {
    const name = nameOf(operation.query);
    const variables = (operation.variables ?? {}) as Vars;
    api[kind].push({ name, variables });
    return fromValue({ data: answer(name, variables), operation, stale: false, hasNext: false } as unknown as OperationResult);
  };
  api.client = {
    executeQuery: run("queries"),
    executeMutation: run("mutations"),
    executeSubscription: (operation: unknown) =>
      liveEvents.length > 0
        ? fromArray(liveEvents.map((caseEvents) => ({ data: { caseEvents }, operation }) as unknown as OperationResult))
        : never,
  } as unknown as Client;
  return api;
}

export function user(role: Role = "AGENT"): SessionUser {
  return role === "ADMIN"
    ? { id: "admin-1", name: "Ada Admin", email: "admin@example.com", role }
    : { id: "agent-1", name: "Alex Agent", email: "agent@example.com", role };
}

/** Shows where the router is, so tests can check the URL a filter wrote. */
function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

export function withProviders(
  api: FakeApi,
  ui: ReactNode,
  { path = "/", route = "/", role = "AGENT" as Role } = {},
): ReactNode {
  const store = new SessionStore(async () => new Response(null, { status: 401 }));
  store.start({ accessToken: "token", expiresAt: Date.now() + 600_000, user: user(role) });
  return (
    <SessionStoreProvider store={store}>
      <LiveStatusProvider status={new LiveStatus()}>
        <Provider value={api.client}>
          <MemoryRouter initialEntries={[path]}>
            <Routes>
              <Route path={route} element={ui} />
            </Routes>
            <LocationProbe />
          </MemoryRouter>
        </Provider>
      </LiveStatusProvider>
    </SessionStoreProvider>
  );
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** An ISO time `ms` from now (a few seconds of slack so "2 h" stays "2 h" while the test runs). */
export function fromNow(ms: number): string {
  return new Date(Date.now() + ms + (ms >= 0 ? 10_000 : -10_000)).toISOString();
}
