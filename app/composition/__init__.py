"""The composition root: the only place (with app.main, its public face) that imports adapters.

One module per concern, each small enough to read in one go:

- ``policies``   settings -> the domain's policies (refunds, refund execution, cases, sessions)
- ``database``   the SQL engine and the adapters built on it (unit of work, read store, SLA log)
- ``redis_wiring`` the Redis client, the rate limiter, the live-event broker (or in-process twins)
- ``orders``     the order system: HTTP client (real, or the embedded simulator) + cache + breaker
- ``payments``   the payment gateway client (real, or the embedded simulator)
- ``auth``       password hashing and access tokens
- ``simulators`` the stand-in servers of the embedded mode and the demo seed
- ``runtime``    ``Runtime`` / ``build_runtime``: everything above, opened and closed together;
                 the refund worker and the SLA scheduler of a runtime
- ``webhooks``   the order-system webhook endpoint
- ``health``     /healthz and /readyz
- ``http``       ``create_app``: the Starlette app (routes, middleware, lifespan)

Nothing in app.graphql, app.http or app.seed imports this package (import-linter keeps it so);
the entry points import it through app.main.
"""
