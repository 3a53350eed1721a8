"""The benchmark's server process: the real app (app.main.create_app, settings from the
environment as in production) plus, beside it in the same process,

- `GET /bare/cases?first=N`: the floor. A bare Starlette handler doing the same work as the
  GraphQL list query: the same authentication, the same SQL (the same read-store calls, so the
  same statements), ONE order-system batch call (no cache), JSON out by hand;
- `GET /_bench/stats`: this process's CPU time (time.process_time: every thread) and the number of
  SQL statements sent so far (adapters.sql.db.count_statements on the runtime's engine).

    python -m bench._server --port 8123     # DATABASE_URL, REDIS_URL, ORDER_SYSTEM_URL, ...
"""

from __future__ import annotations

import argparse
import contextlib
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
from app.graphql.ids import encode_id
from app.http.graphql_endpoint import bearer_token
from app.main import Runtime, create_app
from app.settings import Settings
from domain.errors import InvalidAccessToken
from domain.queries import CaseFilter
from domain.refunds import Refund, refundable_remainder, refunded_quantities
from domain.usecases.sessions import authenticate


def build(settings: Settings) -> Starlette:
    inner = create_app(settings)
    holder: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(outer: Starlette) -> AsyncIterator[None]:
        async with inner.router.lifespan_context(inner):
            runtime: Runtime = inner.state.runtime
            assert settings.order_system_url, "the bench runs the order system out of process"
            async with HttpOrderSystem(
                settings.order_system_url, timeout=settings.order_system_timeout_seconds
            ) as plain_orders:
                with count_statements(runtime.engine) as counter:
                    holder.update(runtime=runtime, orders=plain_orders, counter=counter)
                    yield

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {"cpu_seconds": time.process_time(), "statements": holder["counter"].count}
        )

    async def bare_cases(request: Request) -> Response:
        runtime: Runtime = holder["runtime"]
        services = runtime.services
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is None:
                return JSONResponse({"error": "unauthenticated"}, status_code=401)
            principal = await authenticate(services, token)
        except InvalidAccessToken:
            return JSONResponse({"error": "unauthenticated"}, status_code=401)
        first = int(request.query_params.get("first", "50"))
        reads = services.reads
        case_filter = (
            CaseFilter() if principal.is_staff else CaseFilter(customer_id=principal.user_id)
        )
        page = await reads.list_cases(case_filter, first=first, after=None)
        cases = page.items
        case_ids = [c.id for c in cases]
        order_ids = list(dict.fromkeys(c.order_id for c in cases if c.order_id))
        last = await reads.last_messages(case_ids, include_internal=principal.is_staff)
        user_ids = {c.customer_id for c in cases} | {c.assignee_id for c in cases if c.assignee_id}
        user_ids |= {m.author_id for m in last.values()}
        users = await reads.users_by_ids(list(user_ids))
        by_case = await reads.refunds_for_cases(case_ids)
        by_order = await reads.refunds_for_orders(order_ids)
        orders = await holder["orders"].get_orders(order_ids)

        def user(user_id: str | None) -> dict[str, Any] | None:
            found = users.get(user_id) if user_id else None
            return {"id": encode_id("User", found.id), "name": found.name} if found else None

        def money(amount: int) -> dict[str, int]:
            return {"amount": amount}

        def order_json(order_id: str | None) -> dict[str, Any] | None:
            order = orders.get(order_id) if order_id else None
            if order is None:
                return None
            held: list[Refund] = by_order.get(order.id, [])
            refunded = refunded_quantities(held)
            return {
                "id": encode_id("Order", order.id),
                "number": order.number,
                "status": order.status.value,
                "stale": order.stale,
                "total": money(order.total.amount),
                "refundableAmount": money(refundable_remainder(order, held).amount),
                "lines": [
                    {"id": line.id, "refundedQuantity": refunded.get(line.id, 0)}
                    for line in order.lines
                ],
            }

        edges = []
        for case in cases:
            message = last.get(case.id)
            edges.append(
                {
                    "node": {
                        "id": encode_id("SupportCase", case.id),
                        "number": case.display_number,
                        "status": case.status.value,
                        "customer": user(case.customer_id),
                        "assignee": user(case.assignee_id),
                        "order": order_json(case.order_id),
                        "lastMessage": (
                            {
                                "id": encode_id("Message", message.id),
                                "body": message.body,
                                "author": user(message.author_id),
                            }
                            if message
                            else None
                        ),
                        "refunds": [
                            {
                                "id": encode_id("Refund", r.id),
                                "status": r.status.value,
                                "amount": money(r.amount.amount),
                                "order": (
                                    {"id": encode_id("Order", r.order_id), "number": o["number"]}
                                    if (o := order_json(r.order_id))
                                    else None
                                ),
                            }
                            for r in by_case.get(case.id, [])
                        ],
                    }
                }
            )
        return JSONResponse(
            {
                "data": {
                    "supportCases": {
                        "edges": edges,
                        "pageInfo": {"hasNextPage": page.has_next_page},
                    }
                }
            }
        )

    return Starlette(
        routes=[
            Route("/bare/cases", bare_cases),
            Route("/_bench/stats", stats),
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
