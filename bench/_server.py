"""The benchmark's server process: the real app (app.main.create_app, settings from the
environment as in production) plus, beside it in the same process and on the same runtime, the
floors and peers of bench/_peers.py:

- `GET /bare/cases?first=N[&messages=K]`, `POST /bare/messages`: the data floors;
- `POST /naive/graphql`: the same Strawberry schema without batching DataLoaders;
- `POST /ariadne/graphql`: Ariadne over schema.graphql and the same read store;
- `GET /_bench/stats`: this process's CPU time (time.process_time: every thread) and the number of
  SQL statements sent so far (adapters.sql.db.count_statements on the runtime's engine).

    python -m bench._server --port 8123     # DATABASE_URL, REDIS_URL, ORDER_SYSTEM_URL, ...
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from adapters.order_system.http_client import HttpOrderSystem
from adapters.sql.db import count_statements
from app.http.graphql_endpoint import GraphQLEndpoint
from app.main import Runtime, create_app
from app.settings import Settings
from bench._peers import NaiveView, ariadne_app, bare_cases, bare_post_message


def build(settings: Settings) -> Starlette:
    inner = create_app(settings)
    holder: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(outer: Starlette) -> AsyncIterator[None]:
        async with inner.router.lifespan_context(inner):
            runtime: Runtime = inner.state.runtime
            assert settings.order_system_url, "the bench runs the order system out of process"
            # The floor's own client: no cache, and a deadline a loaded machine never reaches.
            async with HttpOrderSystem(settings.order_system_url, timeout=60) as plain_orders:
                view = inner.state.graphql.view
                naive = NaiveView(
                    view.schema, services=runtime.services, production=False, live=None
                )
                with count_statements(runtime.engine) as counter:
                    holder.update(
                        runtime=runtime,
                        orders=plain_orders,
                        counter=counter,
                        naive=GraphQLEndpoint(naive, runtime.services),
                        # The peer reads orders through the service's cached order system.
                        ariadne=ariadne_app(runtime.services, runtime.services.orders),
                    )
                    yield

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {
                "cpu_seconds": time.process_time(),
                "statements": holder["counter"].count,
                "gc_collections": sum(s["collections"] for s in gc.get_stats()),
            }
        )

    async def cases(request: Request) -> Response:
        return await bare_cases(holder["runtime"].services, holder["orders"], request)

    async def messages(request: Request) -> Response:
        return await bare_post_message(holder["runtime"].services, request)

    async def naive(scope: Any, receive: Any, send: Any) -> None:
        await holder["naive"](scope, receive, send)

    async def ariadne(scope: Any, receive: Any, send: Any) -> None:
        await holder["ariadne"](scope, receive, send)

    return Starlette(
        routes=[
            Route("/bare/cases", cases),
            Route("/bare/messages", messages, methods=["POST"]),
            Route("/_bench/stats", stats),
            Mount("/naive", app=naive),
            Mount("/ariadne", app=ariadne),
            Mount("/", app=inner),
        ],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings()
    logging.basicConfig(level=settings.log_level)
    uvicorn.run(
        build(settings),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
