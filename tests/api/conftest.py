"""The API under test: the real app (composition root) on PostgreSQL + Redis, driven over ASGI."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.auth.passwords import Argon2PasswordHasher
from adapters.order_system.simulator import (
    OrderSimulatorState,
    create_order_simulator,
    make_order,
    simulator_state,
)
from adapters.payment_gateway.simulator import (
    PaymentGatewaySimulatorState,
    create_payment_gateway_simulator,
    gateway_state,
)
from app.main import Runtime, create_app
from app.settings import Settings
from domain.ports import Clock
from domain.users import Role, User
from tests.toolbox.graphql import GraphQLClient, gid
from tests.toolbox.services import REDIS_URL, redis_or_skip, throwaway_database

_numbers = itertools.count(5000)


@dataclass
class Api:
    gql: GraphQLClient
    http: httpx.AsyncClient
    runtime: Runtime
    orders: OrderSimulatorState
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    app: Any = None  # the ASGI app, for WebSocket clients (tests.toolbox.ws.asgi_ws)
    gateway: PaymentGatewaySimulatorState | None = None  # running_api(with_gateway=True)

    async def token(self, email: str) -> str:
        if email not in self.tokens:
            self.tokens[email] = await self.gql.login(email)
        return self.tokens[email]

    async def new_agent(self, name: str = "Test Agent") -> str:
        """A fresh agent's access token: a test that runs many queries spends its own query-cost
        budget (per user), not the demo agent's that later tests share."""
        return (await self.new_staff(Role.AGENT, name))[1]

    async def new_staff(self, role: Role = Role.AGENT, name: str = "Test Agent") -> tuple[str, str]:
        """A fresh agent (or admin): (user id, access token). Its own query-cost budget, so a
        test never runs out of the shared demo agent's."""
        user = await self.add_user(f"staff-{uuid.uuid4().hex[:10]}@example.com", name, role)
        return user.id, await self.gql.login(user.email)

    async def add_user(
        self, email: str, name: str, role: Role, external_customer_id: str | None = None
    ) -> User:
        """A user stored directly (password "demo-password"), as an admin would create one."""
        user = User(
            id=str(uuid.uuid4()),
            email=email,
            name=name,
            role=role,
            password_hash=self.runtime.services.passwords.hash("demo-password"),
            created_at=datetime.now(UTC).replace(microsecond=0),
            external_customer_id=external_customer_id,
        )
        async with self.runtime.services.uow() as uow:
            await uow.users.add(user)
            await uow.commit()
        return user

    async def new_customer(self, name: str = "Test Customer") -> Customer:
        """A fresh customer with their own orders, so tests never share refund limits."""
        now = datetime.now(UTC).replace(microsecond=0)
        ref = f"cust-{uuid.uuid4().hex[:8]}"
        user = await self.add_user(f"{ref}@example.com", name, Role.CUSTOMER, ref)
        orders: dict[str, str] = {}
        specs: dict[str, dict[str, Any]] = {
            "delivered": dict(
                status="DELIVERED",
                placed_at=now - timedelta(days=6),
                delivered_at=now - timedelta(days=3),
                lines=[("SKU-1", "Mug", 1, 4000), ("SKU-2", "Lamp", 1, 7500)],
                shipping=500,
            ),
            "old": dict(
                status="DELIVERED",
                placed_at=now - timedelta(days=50),
                delivered_at=now - timedelta(days=45),
                lines=[("SKU-3", "Old", 2, 2750)],
                shipping=500,
            ),
            "small": dict(
                status="DELIVERED",
                placed_at=now - timedelta(days=3),
                delivered_at=now - timedelta(days=1),
                lines=[("SKU-4", "Cable", 1, 1999)],
            ),
            "shipped": dict(
                status="SHIPPED",
                placed_at=now - timedelta(days=2),
                promised_delivery_date=(now + timedelta(days=2)).date(),
                lines=[("SKU-5", "Chair", 1, 4000)],
            ),
            "lost": dict(
                status="SHIPPED",
                placed_at=now - timedelta(days=20),
                promised_delivery_date=(now - timedelta(days=10)).date(),
                lines=[("SKU-6", "Desk", 1, 5000)],
            ),
            "big": dict(
                status="DELIVERED",
                placed_at=now - timedelta(days=8),
                delivered_at=now - timedelta(days=5),
                lines=[("SKU-7", "Sofa", 1, 79000)],
                shipping=1000,
            ),
        }
        for key, spec in specs.items():
            order_id = f"ord-{ref}-{key}"
            self.orders.upsert(
                make_order(id=order_id, number=f"#{next(_numbers)}", customer_id=ref, **spec)
            )
            orders[key] = order_id
        token = await self.gql.login(user.email)
        return Customer(email=user.email, user_id=user.id, token=token, order_ids=orders)


@dataclass
class Customer:
    email: str
    user_id: str
    token: str
    order_ids: dict[str, str]


@contextlib.asynccontextmanager
async def running_api(
    settings: Settings,
    *,
    client_host: str = "127.0.0.9",
    seed_demo: bool = True,
    with_gateway: bool = False,
    clock: Clock | None = None,
) -> AsyncIterator[Api]:
    """The real app (with its lifespan) on `settings`, driven over ASGI; its own order simulator.
    `seed_demo`: seed the demo users and data (once per database). `with_gateway`: its own
    payment gateway simulator too (for the embedded workers; its state is `Api.gateway`).
    `clock`: the app's clock (default: the real one), e.g. a FixedClock a test moves."""
    simulator = create_order_simulator()
    gateway = create_payment_gateway_simulator() if with_gateway else None
    # Cheap argon2 parameters: the hashing itself is tested in tests/unit/test_passwords.py.
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    app = create_app(
        settings,
        order_simulator=simulator,
        payment_gateway_simulator=gateway,
        password_hasher=hasher,
        clock=clock,
    )
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        if seed_demo:
            from app.main import seed

            await seed(runtime)
        transport = httpx.ASGITransport(app=app, client=(client_host, 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as http:
            yield Api(
                gql=GraphQLClient(http),
                http=http,
                runtime=runtime,
                orders=simulator_state(simulator),
                settings=settings,
                app=app,
                gateway=gateway_state(gateway) if gateway is not None else None,
            )


@pytest.fixture(scope="session")
async def postgres_url() -> AsyncIterator[str]:
    async with throwaway_database("api") as url:
        yield url


@pytest.fixture(scope="session")
async def api(postgres_url: str) -> AsyncIterator[Api]:
    await redis_or_skip()
    settings = Settings(
        app_env="test",
        database_url=postgres_url,
        redis_url=REDIS_URL,
        login_attempts_per_minute=100_000,
        order_breaker_reset_seconds=0.3,
        # The demo agent and admin are shared by every API suite of the session: with the
        # production budget, suites run back to back drained it (RATE_LIMITED in unrelated
        # tests). The budget itself is tested with its own settings (test_query_cost.py,
        # test_shared_budget.py).
        cost_budget_staff=5_000_000,
        cost_refill_per_second_staff=50_000.0,
    )
    async with running_api(settings) as api:
        yield api


@pytest.fixture(name="gid")
def gid_fixture() -> Callable[[str, str], str]:
    return gid
