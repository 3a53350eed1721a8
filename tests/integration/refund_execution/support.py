"""Shared by the refund execution suites, the crash driver and bench/refund_throughput.py:

- `GatewayServer`: the payment gateway simulator as a real HTTP server (uvicorn, 127.0.0.1, a
  free port) in its own process, so its ledger, the witness of exactly-once, outlives any worker
  that is killed; faults and the ledger over its operator endpoints.
- `sql_services`: the use cases wired to SQL (PostgreSQL or SQLite), a FakeOrderSystem and an
  HTTP payment gateway, like the composition root does.
- `seed_approved_refunds`: customers, orders, cases and refunds approved by an admin, each on its
  own order, through the real use cases (so the outbox jobs are written as in production).
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from adapters.auth.refresh_tokens import hash_refresh_token, new_refresh_token
from adapters.clock import FixedClock, SystemClock
from adapters.memory import FakeOrderSystem, InMemoryEventPublisher
from adapters.payment_gateway.http_client import HttpPaymentGateway
from adapters.rate_limit import InProcessRateLimiter
from adapters.sql.db import create_engine, create_session_factory
from adapters.sql.read_store import SqlReadStore
from adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from domain.cases import CaseCategory, SupportCase
from domain.orders import Order, OrderStatus
from domain.ports import Clock
from domain.refund_jobs import RefundExecutionPolicy
from domain.refunds import RefundPolicy, RefundReason, RefundRequest, RefundStatus
from domain.usecases.approve_refund import approve_refund
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.request_refund import request_refund
from domain.usecases.services import Services
from domain.users import Principal, Role, User
from tests.toolbox.network import free_port
from tests.toolbox.processes import PROJECT_ROOT as ROOT
from tests.toolbox.processes import Spawned, spawn_process
from tests.unit.builders import FakeAccessTokens, FakePasswordHasher, make_order

# Fast pacing for tests: short leases, short backoff.
FAST = RefundExecutionPolicy(
    lease=timedelta(seconds=1),
    backoff_base=timedelta(milliseconds=50),
    backoff_cap=timedelta(milliseconds=400),
)


@dataclass
class GatewayServer:
    url: str
    process: Spawned

    def set_fault(self, mode: str, **options: Any) -> None:
        response = httpx.post(f"{self.url}/_faults", json={"mode": mode, **options}, timeout=5)
        response.raise_for_status()

    def ledger(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/_ledger", timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def payouts_by_key(self) -> Counter[str]:
        return Counter(p["idempotency_key"] for p in self.ledger()["payouts"])

    def payouts_by_refund(self) -> Counter[str]:
        return Counter(p["idempotency_key"].split(":")[0] for p in self.ledger()["payouts"])


@contextlib.contextmanager
def gateway_server(*, log_file: Path | None = None) -> Iterator[GatewayServer]:
    """`python -m adapters.payment_gateway.simulator` on a free port, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with spawn_process(
        [sys.executable, "-m", "adapters.payment_gateway.simulator", "--port", str(port)],
        name=f"the payment gateway simulator (port {port})",
        port=port,
        ready_url=f"{url}/healthz",
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        log_path=log_file,
    ) as process:
        yield GatewayServer(url, process)


@dataclass
class SqlWorld:
    services: Services
    orders: FakeOrderSystem
    gateway: HttpPaymentGateway
    admin: Principal
    agent: Principal
    sam: Principal


@contextlib.asynccontextmanager
async def sql_services(
    database_url: str,
    gateway_url: str,
    *,
    clock: Clock | None = None,
    execution: RefundExecutionPolicy = FAST,
    gateway_timeout: float = 0.5,
    pool_size: int = 10,
) -> AsyncIterator[SqlWorld]:
    engine = create_engine(database_url, pool_size=pool_size, max_overflow=pool_size)
    session_factory = create_session_factory(engine)
    orders = FakeOrderSystem()
    gateway = HttpPaymentGateway(gateway_url, timeout=gateway_timeout)
    services = Services(
        uow=SqlUnitOfWorkFactory(session_factory),
        reads=SqlReadStore(session_factory),
        clock=clock or SystemClock(),
        orders=orders,
        publisher=InMemoryEventPublisher(),
        passwords=FakePasswordHasher(),
        access_tokens=FakeAccessTokens(FixedClock()),
        rate_limiter=InProcessRateLimiter(),
        new_refresh_token=new_refresh_token,
        hash_refresh_token=hash_refresh_token,
        refund_policy=RefundPolicy(requests_per_day=1_000_000, auto_approve_max_minor=0),
        payments=gateway,
        refund_execution=execution,
    )
    staff: dict[str, Principal] = {}
    async with services.uow() as uow:
        for name, role in (("admin", Role.ADMIN), ("agent", Role.AGENT), ("sam", Role.AGENT)):
            user_id = str(uuid.uuid4())
            await uow.users.add(
                User(
                    id=user_id,
                    email=f"{name}-{user_id[:8]}@example.com",
                    name=name,
                    role=role,
                    password_hash="x",
                    created_at=datetime.now(UTC),
                )
            )
            staff[name] = Principal(user_id=user_id, role=role, session_id=f"s-{user_id}")
        await uow.commit()
    try:
        yield SqlWorld(services, orders, gateway, staff["admin"], staff["agent"], staff["sam"])
    finally:
        await gateway.aclose()
        await engine.dispose()


async def new_customer(world: SqlWorld) -> tuple[Principal, str]:
    user_id = str(uuid.uuid4())
    external = f"cust-{user_id[:8]}"
    async with world.services.uow() as uow:
        await uow.users.add(
            User(
                id=user_id,
                email=f"{user_id}@example.com",
                name="Customer",
                role=Role.CUSTOMER,
                password_hash="x",
                created_at=datetime.now(UTC),
                external_customer_id=external,
            )
        )
        await uow.commit()
    return Principal(user_id=user_id, role=Role.CUSTOMER, session_id=f"s-{user_id}"), external


async def case_about_new_order(
    world: SqlWorld,
    *,
    lines: list[tuple[str, int, int]],
    shipping: int = 0,
    subject: str = "Broken kettle",
    description: str = "It leaks.",
    category: CaseCategory = CaseCategory.REFUND_REQUEST,
) -> tuple[Principal, Order, SupportCase]:
    """A new customer, their order (delivered two days ago) and a case they opened about it."""
    customer, external = await new_customer(world)
    now = datetime.now(UTC)
    order = make_order(
        f"ord-{uuid.uuid4().hex[:12]}",
        customer=external,
        status=OrderStatus.DELIVERED,
        placed_at=now - timedelta(days=5),
        delivered_at=now - timedelta(days=2),
        lines=lines,
        shipping=shipping,
    )
    world.orders.put(order)
    case = await open_case(
        world.services,
        customer,
        OpenCase(subject=subject, description=description, category=category, order_id=order.id),
    )
    return customer, order, case


async def requested_refund(world: SqlWorld, *, amount: int = 3000) -> str:
    """A customer, their delivered order (total 10,000) and a REQUESTED refund of `amount`."""
    customer, _, case = await case_about_new_order(world, lines=[("Kettle", 1, 9500)], shipping=500)
    refund = await request_refund(
        world.services, customer, case.id, RefundRequest(RefundReason.DAMAGED, amount=amount)
    )
    assert refund.status is RefundStatus.REQUESTED
    return refund.id


async def seed_approved_refunds(world: SqlWorld, count: int, *, amount: int = 3000) -> list[str]:
    ids = []
    for _ in range(count):
        refund_id = await requested_refund(world, amount=amount)
        await approve_refund(world.services, world.admin, refund_id, None)
        ids.append(refund_id)
    return ids


async def statuses(world: SqlWorld, refund_ids: list[str]) -> dict[str, RefundStatus]:
    found = await world.services.reads.refunds_by_ids(refund_ids)
    return {refund_id: found[refund_id].status for refund_id in refund_ids}
