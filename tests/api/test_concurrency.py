"""Money under concurrency (QUALITY.md: "the sum of non-failed refunds of an order never exceeds its
total, under any concurrency"), through the API on PostgreSQL + Redis.

Requests, approvals and cancels are fired together with asyncio.gather over the ASGI client, so
they really interleave at every await (connection checkout, row locks, the order-system read).

The business rules serialise what can be created: one REQUESTED refund per order at a time, and
3 requests per customer per 24 h. The money scenario therefore runs against a second app instance
on the same database whose settings allow 1000 requests a day, in rounds: each round fires 20
concurrent requests of amounts that together exceed what is left, together with concurrent
decisions (two agents and an admin approving, sometimes the customer cancelling) of the refund
that was pending when the round started, until the order is exhausted. After every round the
database must hold: money-holding refunds (REQUESTED, APPROVED, PROCESSING, SUCCEEDED) <= the
order total, at most one REQUESTED, and the ledger row's reserved amount == their sum.

Also: two agents approving one refund at once decide it once; and the daily limit holds when a
customer fires requests on several orders at once (it did not: see the SQL refund repository's
`count_requested_since`, which now locks the customer's row).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from app.settings import Settings
from tests.api.conftest import Api, Customer, running_api
from tests.toolbox.graphql import OPEN_CASE, REQUEST_REFUND_OF_AMOUNT, order_gid
from tests.toolbox.services import REDIS_URL

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

CONCURRENT_REQUESTS = 20
BIG_TOTAL = 80000  # the "big" order of Api.new_customer: USD 790.00 + 10.00 shipping
# Above the automatic-approval limit (25.00) and at most the agent limit (500.00): every refund
# waits for a decision, and agents as well as the admin may approve it.
AMOUNTS = (3000, 4500, 6000, 8000, 9500, 12000, 15000, 20000, 30000, 45000)
HOLDING = ("REQUESTED", "APPROVED", "PROCESSING", "SUCCEEDED")

APPROVE = """
mutation($id: ID!) { approveRefund(input: {refundId: $id}) {
  __typename
  ... on RefundDecided { refund { id status approval decidedBy { email } } }
  ... on Error { message code }
}}"""

CANCEL = """
mutation($id: ID!) { cancelRefund(input: {refundId: $id}) {
  __typename ... on RefundCancelled { refund { id status } } ... on Error { message code }
}}"""

REFUNDS_OF_ORDER = """
query($order: ID!, $after: String) {
  refunds(first: 100, after: $after, filter: {orderId: $order}) {
    edges { node { id status amount { amount } } }
    pageInfo { hasNextPage endCursor }
}}"""


@pytest.fixture(scope="module")
async def loose_api(api: Api, postgres_url: str) -> AsyncIterator[Api]:
    """A second app instance on the same database (demo users already seeded by `api`) whose
    customers may request 1000 refunds a day."""
    settings = Settings(
        app_env="test",
        database_url=postgres_url,
        redis_url=REDIS_URL,
        login_attempts_per_minute=100_000,
        refund_requests_per_day=1000,
    )
    async with running_api(settings, client_host="127.0.0.10", seed_demo=False) as loose:
        yield loose


async def open_cases(api: Api, customer: Customer, order_key: str, count: int) -> list[str]:
    cases = []
    for i in range(count):
        data = await api.gql.ok(
            OPEN_CASE,
            {
                "input": {
                    "subject": f"Sofa problem {i}",
                    "description": "Several things are wrong with it.",
                    "category": "REFUND_REQUEST",
                    "orderId": order_gid(customer.order_ids[order_key]),
                }
            },
            customer.token,
        )
        assert data["openCase"]["__typename"] == "CaseOpened", data
        cases.append(data["openCase"]["supportCase"]["id"])
    return cases


@dataclass(frozen=True)
class Ledger:
    holding: int  # sum of the money-holding refunds of the order
    requested: int  # how many of them are REQUESTED
    reserved: int | None  # the ledger row's reserved amount (None: no row yet)
    total: int | None
    statuses: Counter[str]


async def ledger_of(api: Api, order_id: str) -> Ledger:
    async with api.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT status, amount_minor FROM refunds WHERE order_id = :o"),
                {"o": order_id},
            )
        ).all()
        row = (
            await conn.execute(
                text("SELECT reserved_minor, total_minor FROM refund_ledger WHERE order_id = :o"),
                {"o": order_id},
            )
        ).first()
    statuses = Counter(str(status) for status, _ in rows)
    return Ledger(
        holding=sum(int(amount) for status, amount in rows if status in HOLDING),
        requested=statuses["REQUESTED"],
        reserved=int(row[0]) if row is not None else None,
        total=int(row[1]) if row is not None else None,
        statuses=statuses,
    )


def assert_consistent(ledger: Ledger, context: object) -> None:
    assert ledger.holding <= BIG_TOTAL, (ledger, context)
    assert ledger.requested <= 1, (ledger, context)
    if ledger.reserved is not None:
        assert ledger.total == BIG_TOTAL, (ledger, context)
        assert ledger.reserved == ledger.holding, (ledger, context)
    else:
        assert ledger.holding == 0, (ledger, context)


async def tagged(kind: str, call: Awaitable[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    return kind, await call


@pytest.mark.parametrize("attempt", range(5))
async def test_concurrent_requests_and_decisions_never_refund_more_than_the_order(
    loose_api: Api, attempt: int
) -> None:
    api = loose_api
    rng = random.Random(attempt)
    customer = await api.new_customer()
    order_id = customer.order_ids["big"]
    cases = await open_cases(api, customer, "big", 4)
    admin = await api.token("admin@example.com")
    agent = await api.token("agent@example.com")
    sam = await api.token("sam@example.com")
    gql = api.gql

    def request(i: int, amount: int) -> Awaitable[tuple[str, dict[str, Any]]]:
        variables = {"case": cases[i % len(cases)], "amount": amount}
        return tagged("request", gql.ok(REQUEST_REFUND_OF_AMOUNT, variables, customer.token))

    pending: str | None = None
    accepted: dict[str, int] = {}  # refund id -> amount, every refund ever created
    approved_amount = 0
    outcomes: Counter[str] = Counter()
    for round_no in range(80):
        amounts = [rng.choice(AMOUNTS) for _ in range(CONCURRENT_REQUESTS)]
        before = await ledger_of(api, order_id)
        headroom = BIG_TOTAL - before.holding
        calls = [request(i, amount) for i, amount in enumerate(amounts)]
        cancelling = pending is not None and round_no % 3 == 2
        if pending is not None:
            variables = {"id": pending}
            calls += [
                tagged("approve", gql.ok(APPROVE, variables, admin)),
                tagged("approve", gql.ok(APPROVE, variables, agent)),
                tagged("approve", gql.ok(APPROVE, variables, sam)),
            ]
            if cancelling:
                calls.append(tagged("cancel", gql.ok(CANCEL, variables, customer.token)))
        rng.shuffle(calls)
        results = await asyncio.gather(*calls)
        context = {"attempt": attempt, "round": round_no, "amounts": amounts, "pending": pending}

        requested = [r["requestRefund"] for kind, r in results if kind == "request"]
        won = [r for r in requested if r["__typename"] == "RefundRequested"]
        for r in requested:
            key = r["__typename"] + ":" + r.get("denial", "")
            outcomes[key] += 1
            assert key in (
                "RefundRequested:",
                "RefundNotAllowed:REFUND_ALREADY_PENDING",
                "RefundNotAllowed:EXCEEDS_REFUNDABLE_AMOUNT",
            ), (r, context)
        # One pending refund per order: a round of concurrent requests creates at most one.
        assert len(won) <= 1, (won, context)
        if pending is None and any(a <= headroom for a in amounts):
            assert len(won) == 1, (requested, context)
        for r in won:
            refund = r["refund"]
            assert refund["status"] == "REQUESTED", (r, context)
            accepted[refund["id"]] = refund["amount"]["amount"]

        decisions = [
            (kind, r["approveRefund" if kind == "approve" else "cancelRefund"])
            for kind, r in results
            if kind != "request"
        ]
        if pending is not None:
            winners = [
                (kind, d)
                for kind, d in decisions
                if d["__typename"] in ("RefundDecided", "RefundCancelled")
            ]
            assert len(winners) == 1, (decisions, context)
            losers = [d["__typename"] for _, d in decisions if d is not winners[0][1]]
            assert set(losers) <= {"InvalidTransition", "Conflict"}, (decisions, context)
            kind, winner = winners[0]
            outcomes[f"decided by {kind}"] += 1
            assert winner["refund"]["id"] == pending
            if kind == "approve":
                assert winner["refund"]["status"] == "APPROVED"
                approved_amount += accepted[pending]
            else:
                assert winner["refund"]["status"] == "CANCELLED"

        after = await ledger_of(api, order_id)
        assert_consistent(after, context)
        pending = won[0]["refund"]["id"] if won else None
        if pending is None and not won and not any(a <= BIG_TOTAL - after.holding for a in AMOUNTS):
            break
    else:
        pytest.fail(f"the order was not exhausted in 80 rounds: {await ledger_of(api, order_id)}")

    final = await ledger_of(api, order_id)
    assert_consistent(final, "final")
    assert final.requested == 0
    assert final.holding == approved_amount
    assert BIG_TOTAL - final.holding < min(AMOUNTS)
    assert outcomes["RefundNotAllowed:REFUND_ALREADY_PENDING"] > 0, outcomes
    assert outcomes["RefundNotAllowed:EXCEEDS_REFUNDABLE_AMOUNT"] > 0, outcomes

    # The last cents: 20 concurrent requests of exactly what is left -> one wins; then nothing.
    left = BIG_TOTAL - final.holding
    if left > 0:
        results = await asyncio.gather(*(request(i, left) for i in range(CONCURRENT_REQUESTS)))
        won = [
            r["requestRefund"]
            for _, r in results
            if r["requestRefund"]["__typename"] == "RefundRequested"
        ]
        assert len(won) == 1, results
        approved = await gql.ok(APPROVE, {"id": won[0]["refund"]["id"]}, admin)
        assert approved["approveRefund"]["__typename"] == "RefundDecided", approved
    results = await asyncio.gather(*(request(i, 1) for i in range(CONCURRENT_REQUESTS)))
    denials = {r["requestRefund"].get("denial") for _, r in results}
    assert denials == {"EXCEEDS_REFUNDABLE_AMOUNT"}, results

    exhausted = await ledger_of(api, order_id)
    assert_consistent(exhausted, "exhausted")
    assert exhausted.holding == exhausted.reserved == BIG_TOTAL

    # The API agrees with the database.
    seen: dict[str, tuple[str, int]] = {}
    after_cursor: str | None = None
    while True:
        page = await gql.ok(
            REFUNDS_OF_ORDER, {"order": order_gid(order_id), "after": after_cursor}, admin
        )
        for edge in page["refunds"]["edges"]:
            node = edge["node"]
            seen[node["id"]] = (node["status"], node["amount"]["amount"])
        if not page["refunds"]["pageInfo"]["hasNextPage"]:
            break
        after_cursor = page["refunds"]["pageInfo"]["endCursor"]
    assert sum(amount for status, amount in seen.values() if status in HOLDING) == BIG_TOTAL
    assert Counter(status for status, _ in seen.values()) == exhausted.statuses


@pytest.mark.parametrize("attempt", range(5))
async def test_two_agents_approving_the_same_refund_decide_it_once(api: Api, attempt: int) -> None:
    customer = await api.new_customer()
    (case_id,) = await open_cases(api, customer, "delivered", 1)
    data = await api.gql.ok(
        REQUEST_REFUND_OF_AMOUNT, {"case": case_id, "amount": 5000}, customer.token
    )
    refund_id = data["requestRefund"]["refund"]["id"]
    agent = await api.token("agent@example.com")
    sam = await api.token("sam@example.com")

    first, second = await asyncio.gather(
        api.gql.ok(APPROVE, {"id": refund_id}, agent),
        api.gql.ok(APPROVE, {"id": refund_id}, sam),
    )
    results = [first["approveRefund"], second["approveRefund"]]
    decided = [r for r in results if r["__typename"] == "RefundDecided"]
    assert len(decided) == 1, results
    other = next(r for r in results if r is not decided[0])
    assert other["__typename"] in ("InvalidTransition", "Conflict"), results
    winner = decided[0]["refund"]
    assert winner["status"] == "APPROVED" and winner["approval"] == "AGENT"

    async with api.runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT r.status, u.email, r.version FROM refunds r "
                    "JOIN users u ON u.id = r.decided_by_id WHERE r.id = :id"
                ),
                {"id": _internal(refund_id)},
            )
        ).one()
        events = (
            await conn.execute(
                text("SELECT type FROM case_events WHERE refund_id = :id ORDER BY sequence"),
                {"id": _internal(refund_id)},
            )
        ).all()
    assert (row[0], row[1]) == ("APPROVED", winner["decidedBy"]["email"])
    assert row[2] == 1  # changed once after its creation
    assert [e[0] for e in events] == ["REFUND_REQUESTED", "REFUND_APPROVED", "REFUND_QUEUED"]


def _internal(global_id: str) -> str:
    from app.graphql.ids import decode_expected

    decoded = decode_expected(global_id, "Refund")
    assert decoded is not None, global_id
    return decoded


REQUEST_FOR_REASON = """
mutation($case: ID!, $amount: Int!, $reason: RefundReason!) {
  requestRefund(input: {caseId: $case, reason: $reason, amount: $amount}) {
    __typename
    ... on RefundRequested { refund { id status } }
    ... on RefundNotAllowed { denial }
    ... on Error { message code }
}}"""


@pytest.mark.parametrize("attempt", range(5))
async def test_concurrent_requests_on_several_orders_respect_the_daily_limit(
    api: Api, attempt: int
) -> None:
    """3 requests per customer per 24 h (default settings), even when a customer fires requests
    on 4 different orders (so the one-pending-per-order rule does not serialise them) at once."""
    customer = await api.new_customer()
    reasons = {"delivered": "DAMAGED", "small": "DAMAGED", "lost": "NOT_RECEIVED", "big": "DAMAGED"}
    cases = {key: (await open_cases(api, customer, key, 1))[0] for key in reasons}
    results = await asyncio.gather(
        *(
            api.gql.ok(
                REQUEST_FOR_REASON,
                {"case": cases[key], "amount": 1000, "reason": reason},
                customer.token,
            )
            for key, reason in reasons.items()
        )
    )
    outcomes = [r["requestRefund"] for r in results]
    won = [r for r in outcomes if r["__typename"] == "RefundRequested"]
    refused = [r for r in outcomes if r["__typename"] != "RefundRequested"]
    assert len(won) == api.settings.refund_requests_per_day == 3, outcomes
    assert [(r["__typename"], r.get("denial")) for r in refused] == [
        ("RefundNotAllowed", "TOO_MANY_REQUESTS")
    ], outcomes
    async with api.runtime.engine.connect() as conn:
        count = (
            await conn.execute(
                text("SELECT count(*) FROM refunds WHERE customer_id = :c"),
                {"c": customer.user_id},
            )
        ).scalar_one()
    assert count == 3
