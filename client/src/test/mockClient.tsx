// A urql client for component tests: each operation is answered by a function of the test, and
// every mutation's variables are recorded so tests can check what would have been sent.
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { Provider, type Client, type OperationResult } from "urql";
import { fromValue, never } from "wonka";
import { LiveStatus } from "../live/connection";
import { LiveStatusProvider } from "../live/LiveStatusContext";
import { SessionStoreProvider } from "../session/SessionContext";
import { SessionStore, type SessionUser } from "../session/sessionStore";

export type Answer = (operationName: string, variables: Record<string, unknown>) => unknown;

export interface MockApi {
  client: Client;
  mutations: Array<{ name: string; variables: Record<string, unknown> }>;
  queries: Array<{ name: string; variables: Record<string, unknown> }>;
}

function operationName(query: unknown): string {
  const doc = query as { definitions: Array<{ name?: { value: string } }> };
  return doc.definitions[0]?.name?.value ?? "";
}

export function mockApi(answer: Answer): MockApi {
  const api: MockApi = { client: null as unknown as Client, mutations: [], queries: [] };
  const run = (kind: "queries" | "mutations") => (request: { query: unknown; variables?: unknown }) => {
    const name = operationName(request.query);
    const variables = (request.variables ?? {}) as Record<string, unknown>;
    api[kind].push({ name, variables });
    return fromValue({ data: answer(name, variables), operation: request } as unknown as OperationResult);
  };
  api.client = {
    executeQuery: run("queries"),
    executeMutation: run("mutations"),
    executeSubscription: () => never,
  } as unknown as Client;
  return api;
}

export const TEST_USER: SessionUser = { id: "VXNlcjp1LTE=", name: "Ada Agent", email: "agent@example.com", role: "AGENT" };

export function renderWith(api: MockApi, ui: ReactNode, { path = "/", user = TEST_USER } = {}) {
  const store = new SessionStore(async () => new Response(null, { status: 401 }));
  store.start({ accessToken: "t", expiresAt: Date.now() + 600_000, user });
  return (
    <SessionStoreProvider store={store}>
      <LiveStatusProvider status={new LiveStatus()}>
        <Provider value={api.client}>
          <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
        </Provider>
      </LiveStatusProvider>
    </SessionStoreProvider>
  );
}
