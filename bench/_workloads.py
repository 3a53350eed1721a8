"""What the benchmarks run: the seeded data, the server environment and the GraphQL documents.

The data (PostgreSQL): the demo users, then `cases` cases over 6 customers, each about its own
delivered order (2 lines), with a customer message and an agent reply or internal note (every
third one internal), half of them assigned, two refunds per customer.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from adapters.order_system.simulator import OrderSimulatorState, make_order
from app.main import build_runtime, seed
from app.settings import Settings
from domain.cases import CaseCategory
from domain.refunds import RefundReason, RefundRequest
from domain.usecases.assign_case import assign_case
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.post_message import post_message
from domain.usecases.request_refund import request_refund
from domain.users import Principal, Role, User
from tests.toolbox.graphql import CASE_LIST_NODE

# The agent's queue page (docs/bench-list-cases.md): 50 cases with customer, assignee, order
# (totals, refundable amount, lines with refunded quantities), last message and refunds.
QUEUE_PAGE = f"""
query Queue($first: Int!) {{
  supportCases(first: $first) {{{CASE_LIST_NODE}
  }}
}}"""

# The same page showing the first 5 messages of each case with their authors (issue 10).
_FIVE_MESSAGES = (
    "messages(first: 5) { edges { cursor node { id body internal createdAt "
    "author { id name } } } pageInfo { hasNextPage endCursor } }\n      lastMessage {"
)
MESSAGES_PAGE = (
    "query QueueWithMessages($first: Int!) {\n  supportCases(first: $first) {"
    + CASE_LIST_NODE.replace("lastMessage {", _FIVE_MESSAGES)
    + "\n  }\n}"
)

POST_MESSAGE = """
mutation Post($input: PostMessageInput!) {
  postMessage(input: $input) {
    __typename
    ... on MessagePosted { postedMessage { id body internal createdAt author { id name } } }
  }
}"""


def bench_env(database_url: str, order_system_url: str, redis_url: str) -> dict[str, str]:
    """The server's environment: production-like, with limits a benchmark never reaches."""
    return {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ORDER_SYSTEM_URL": order_system_url,
        "LOG_LEVEL": "WARNING",
        "SEED_DEMO_DATA": "false",
        "RUN_EMBEDDED_WORKER": "false",
        "RUN_SLA_SCHEDULER": "false",
        "LOGIN_ATTEMPTS_PER_MINUTE": "100000",
        # The service's order cache stays warm for the whole run (the floor has no cache).
        "ORDER_CACHE_FRESH_SECONDS": "3600",
        "ORDER_SYSTEM_TIMEOUT_SECONDS": "30",
        "ORDER_SYSTEM_DEADLINE_SECONDS": "60",
        # Query costs are still computed and spent (in Redis), from budgets a benchmark never
        # exhausts: it measures the service, not the rate limit.
        "COST_BUDGET_STAFF": "1000000000",
        "COST_REFILL_PER_SECOND_STAFF": "1000000000",
        "COST_BUDGET_CUSTOMER": "1000000000",
        "COST_REFILL_PER_SECOND_CUSTOMER": "1000000000",
    }


def settings_from(env: dict[str, str]) -> Settings:
    return Settings(
        **{k.lower(): v for k, v in env.items() if k not in ("APP_ENV", "LOG_LEVEL")},
        app_env="test",
    )


async def seed_data(settings: Settings, orders: OrderSimulatorState, cases: int) -> None:
    """The data of the module docstring."""
    now = datetime.now(UTC).replace(microsecond=0)
    async with build_runtime(settings) as runtime:
        await seed(runtime)
        services = runtime.services
        agent_user = (await services.reads.staff_users())[0]
        agent = Principal(agent_user.id, agent_user.role, session_id="bench")
        customers: list[tuple[Principal, str]] = []
        for n in range(6):
            ref = f"cust-bench-{n}"
            user = User(
                id=str(uuid.uuid4()),
                email=f"bench{n}@example.com",
                name=f"Bench Customer {n}",
                role=Role.CUSTOMER,
                password_hash=services.passwords.hash("demo-password"),
                created_at=now,
                external_customer_id=ref,
            )
            async with services.uow() as uow:
                await uow.users.add(user)
                await uow.commit()
            customers.append((Principal(user.id, Role.CUSTOMER, session_id="bench"), ref))
        refunds: dict[str, int] = {}
        for n in range(cases):
            customer, ref = customers[n % len(customers)]
            order_id = f"ord-bench-{n:03d}"
            orders.upsert(
                make_order(
                    id=order_id,
                    number=f"#B{n:03d}",
                    customer_id=ref,
                    status="DELIVERED",
                    placed_at=now - timedelta(days=6),
                    delivered_at=now - timedelta(days=2),
                    lines=[("SKU-B1", "Bench mug", 2, 1500), ("SKU-B2", "Bench lamp", 1, 4200)],
                    shipping=500,
                )
            )
            case = await open_case(
                services,
                customer,
                OpenCase(
                    subject=f"Bench case {n}",
                    description="It arrived damaged.",
                    category=CaseCategory.PRODUCT_ISSUE,
                    order_id=order_id,
                ),
            )
            await post_message(services, customer, case.id, f"Hello, about order {n}")
            await post_message(
                services, agent, case.id, f"Looking into it ({n})", internal=n % 3 == 0
            )
            if n % 2 == 0:
                await assign_case(services, agent, case.id, agent.user_id)
            if refunds.get(ref, 0) < 2:
                await request_refund(
                    services,
                    customer,
                    case.id,
                    RefundRequest(reason=RefundReason.DAMAGED, amount=1500),
                )
                refunds[ref] = refunds.get(ref, 0) + 1
