// One urql client per session: queries and mutations over HTTP, subscriptions over the
// graphql-transport-ws socket, all through the normalized cache. A new client (and cache) is made
// on login and logout, so one user's data never shows to the next.
import { authExchange } from "@urql/exchange-auth";
import { Client, fetchExchange, subscriptionExchange } from "urql";
import type { Client as WsClient } from "graphql-ws";
import type { SessionStore } from "../session/sessionStore";
import { subscribeResumable } from "../live/resumableSubscription";
import { createCache } from "./cache";

export function createApiClient(session: SessionStore, ws: WsClient): Client {
  return new Client({
    url: "/graphql",
    requestPolicy: "cache-and-network",
    // The API accepts queries by POST only (no GET: no queries in URLs, logs or caches).
    preferGetMethod: false,
    fetchOptions: { credentials: "same-origin" },
    exchanges: [
      createCache(),
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = session.accessToken();
          return token ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation;
        },
        willAuthError() {
          return session.isExpiringSoon();
        },
        didAuthError(error) {
          return error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED");
        },
        async refreshAuth() {
          await session.refresh();
        },
      })),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          return {
            subscribe(sink) {
              const unsubscribe = subscribeResumable(
                ws,
                session,
                { query: request.query ?? "", variables: request.variables ?? {} },
                {
                  next: (value) => sink.next(value as Parameters<typeof sink.next>[0]),
                  error: (error) => sink.error(error),
                  complete: () => sink.complete(),
                },
              );
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
