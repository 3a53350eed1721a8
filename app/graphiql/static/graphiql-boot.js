/*
 * Starts the vendored GraphiQL (see ../VENDORED.md). This file is ours, not vendored.
 * Kept out of the HTML so the page works under a Content-Security-Policy of script-src 'self'.
 * The endpoint comes from the data-endpoint attribute written by app.graphiql.graphiql_html().
 */
(function () {
  "use strict";

  var DEFAULT_QUERY = [
    "# Support & Refunds API",
    "#",
    "# 1. Log in: put the cursor in the Login mutation",
    "#    and press Ctrl-Enter (or the play button).",
    "#    Demo accounts (embedded mode), password",
    "#    demo-password: alice@example.com and",
    "#    bob@example.com (customers), agent@example.com",
    "#    and sam@example.com (agents), admin@example.com.",
    "#",
    "# 2. Copy accessToken from the result, open the",
    "#    Headers tab below and put:",
    '#    {"Authorization": "Bearer <accessToken>"}',
    "#    (remembered in this browser). If the docs are",
    "#    empty (production refuses anonymous",
    "#    introspection), press re-fetch schema (bottom",
    "#    left) once the header is set.",
    "#",
    "# 3. Run the MyOrders query. The docs (book icon)",
    "#    describe every type; Ctrl-Space autocompletes.",
    "",
    "mutation Login {",
    "  login(input: {",
    '    email: "alice@example.com"',
    '    password: "demo-password"',
    "  }) {",
    "    __typename",
    "    ... on AuthSession {",
    "      accessToken",
    "      refreshToken",
    "      user { name role }",
    "    }",
    "    ... on InvalidCredentials { message code }",
    "  }",
    "}",
    "",
    "query MyOrders {",
    "  viewer { name }",
    "  myOrders(first: 10) {",
    "    edges {",
    "      node { id number status total { formatted } }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");

  var container = document.getElementById("graphiql");
  var endpoint = container.getAttribute("data-endpoint") || "/graphql";
  var httpUrl = new URL(endpoint, window.location.href);
  var wsUrl = new URL(httpUrl.href);
  wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";
  wsUrl.hash = "";

  // POSTs {"query", "variables", "operationName"} as JSON to the endpoint. GraphiQL merges the
  // JSON object from the Headers tab into every request (so the Authorization header is sent),
  // and into the graphql-transport-ws connection_init payload for subscriptions.
  var fetcher = GraphiQL.createFetcher({
    url: httpUrl.href,
    subscriptionUrl: wsUrl.href,
    enableIncrementalDelivery: false,
  });

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: "headers",
      inputValueDeprecation: true,
    })
  );
})();
