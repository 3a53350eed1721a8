"""The embedded mode's stand-in servers (order system, payment gateway) and the demo seed."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette

from adapters.order_system.simulator import (
    ALICE_CUSTOMER_ID,
    BOB_CUSTOMER_ID,
    create_order_simulator,
    simulator_state,
)
from adapters.payment_gateway.simulator import create_payment_gateway_simulator
from app.seed import demo_users, seed_demo_users
from app.settings import Settings, reveal
from domain.usecases.services import Services

SIMULATOR_PREFIX = "/_sim/orders"
PAYMENT_SIMULATOR_PREFIX = "/_sim/payments"


@dataclass(frozen=True)
class EmbeddedSimulators:
    """The simulators this process runs: one per external system without a configured URL."""

    orders: Starlette | None
    payments: Starlette | None


def embedded_simulators(
    settings: Settings,
    *,
    order_simulator: Starlette | None = None,
    payment_gateway_simulator: Starlette | None = None,
) -> EmbeddedSimulators:
    """The given simulators (tests control them), new ones, or None where a URL is configured.
    Never in production: there the URLs are required (app.settings), and even so nothing here
    is built, so the simulators' operator endpoints (/_sim/payments/_faults) cannot exist."""
    if settings.app_env == "production":
        return EmbeddedSimulators(orders=None, payments=None)
    orders = None
    if not settings.order_system_url:
        orders = order_simulator or create_order_simulator()
    payments = None
    if not settings.payment_gateway_url:
        payments = payment_gateway_simulator or create_payment_gateway_simulator()
    return EmbeddedSimulators(orders=orders, payments=payments)


async def simulator_sends_webhooks(
    app: Starlette,
    simulator: Starlette,
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    *,
    webhook_path: str,
) -> None:
    """Embedded mode: the bundled order simulator delivers its signed events to this app, as the
    real order system would: in process (over httpx.ASGITransport, no port needed), or to
    `simulator_webhook_url` over HTTP. A simulator the caller configured already is left alone."""
    state = simulator_state(simulator)
    if state.webhooks is not None:
        return
    client: httpx.AsyncClient | None = None
    url = settings.simulator_webhook_url
    if url is None:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://support.local"
        )
        stack.push_async_callback(client.aclose)
        url = "http://support.local" + webhook_path
    state.configure_webhooks(url, reveal(settings.order_webhook_secret) or "", client=client)
    stack.push_async_callback(state.aclose)  # runs first: pending deliveries are cancelled


async def seed_demo_data(services: Services) -> int:
    """The demo users, linked to the simulator's demo customers (alice, bob)."""
    return await seed_demo_users(
        services.uow,
        services.passwords,
        services.clock,
        demo_users(ALICE_CUSTOMER_ID, BOB_CUSTOMER_ID),
    )
