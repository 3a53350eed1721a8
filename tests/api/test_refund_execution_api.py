"""Refund execution through the API, in the embedded style: the refund worker runs as a background
task of the API process and pays through the bundled payment gateway simulator (in process, also
mounted at /_sim/payments). On PostgreSQL, without Redis (in-process broker, cache, limiter).

- approve -> SUCCEEDED within seconds (polled, bounded);
- the gateway declines -> FAILED with its reason, the resolved case reopens, the refund is listed
  by refunds(filter: {status: [FAILED]}); retryRefund once the gateway behaves -> SUCCEEDED;
- a request the gateway rejects (a bug) -> stuck in PROCESSING, found by the status filter;
- requestRefund's idempotencyKey (on the shared API harness, PostgreSQL + Redis).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.payment_gateway.simulator import (
    PaymentGatewaySimulatorState,
)
from app.settings import Settings
from domain.refund_jobs import RefundJob
from tests.api._helpers import (
    APPROVE_REFUND,
    CHANGE_STATUS,
    REQUEST_REFUND,
    RETRY_REFUND,
    codes,
    open_case,
    request_refund,
)
from tests.api.conftest import Api, running_api
from tests.toolbox.polling import poll_until
from tests.toolbox.services import throwaway_database

pytestmark = pytest.mark.postgres  # and redis, for the tests on `api`

REFUND = """query($id: ID!) { node(id: $id) { ... on Refund {
  id status attempt failureReason gatewayRefundId
  supportCase { id status timeline(first: 100) { edges { node { type summary actor { role } } } } }
} } }"""

REFUNDS_BY_STATUS = """query($s: [RefundStatus!]) {
  refunds(first: 100, filter: {status: $s}) { edges { node { id status failureReason } } } }"""


@pytest.fixture(scope="module")
async def embedded() -> AsyncIterator[tuple[Api, PaymentGatewaySimulatorState]]:
    async with throwaway_database("embedded") as url:
        settings = Settings(
            app_env="test",
            database_url=url,
            redis_url=None,
            run_embedded_worker=True,
            refund_worker_poll_seconds=0.05,
            login_attempts_per_minute=100_000,
        )
        async with running_api(settings, with_gateway=True) as api:
            assert api.app.state.refund_worker is not None  # the embedded worker is running
            assert api.gateway is not None
            yield api, api.gateway


async def refund_until(
    api: Api, token: str, refund_id: str, status: str, *, seconds: float = 10
) -> dict[str, Any]:
    async def refund() -> dict[str, Any]:
        data = await api.gql.ok(REFUND, {"id": refund_id}, token)
        node: dict[str, Any] = data["node"]
        return node

    return await poll_until(
        refund, until=lambda r: r["status"] == status, deadline=seconds, what=f"refund {status}"
    )


def timeline_types(refund: dict[str, Any]) -> list[str]:
    return [e["node"]["type"] for e in refund["supportCase"]["timeline"]["edges"]]


async def approved(api: Api, agent: str, customer_token: str, order_id: str, amount: int) -> str:
    case = await open_case(api, customer_token, order_id)
    requested = await request_refund(
        api, customer_token, case["id"], reason="DAMAGED", amount=amount
    )
    assert requested["refund"]["status"] == "REQUESTED", requested
    refund_id: str = requested["refund"]["id"]
    data = await api.gql.ok(APPROVE_REFUND, {"input": {"refundId": refund_id}}, agent)
    assert data["approveRefund"]["__typename"] == "RefundDecided", data
    return refund_id


async def test_approve_then_paid_decline_then_failed_retry_then_paid(
    embedded: tuple[Api, PaymentGatewaySimulatorState],
) -> None:
    api, gateway = embedded
    agent = await api.token("agent@example.com")
    customer = await api.new_customer("Paid Back")

    # Approve -> the embedded worker pays it within seconds.
    refund_id = await approved(api, agent, customer.token, customer.order_ids["delivered"], 3000)
    paid = await refund_until(api, customer.token, refund_id, "SUCCEEDED")
    assert paid["gatewayRefundId"] and paid["attempt"] == 1
    types = timeline_types(paid)
    assert types[-4:] == [
        "REFUND_APPROVED",
        "REFUND_QUEUED",
        "REFUND_PROCESSING",
        "REFUND_SUCCEEDED",
    ]
    assert sum(1 for p in gateway.payouts if p.refund_id == paid["gatewayRefundId"]) == 1
    # Operators see the same ledger over HTTP.
    ledger = (await api.http.get("/_sim/payments/_ledger")).json()
    assert paid["gatewayRefundId"] in {p["refund_id"] for p in ledger["payouts"]}

    # The gateway declines: FAILED with its reason; the resolved case reopens.
    gateway.set_fault("decline", decline_reason="card_expired")
    case = await open_case(api, customer.token, customer.order_ids["big"])
    requested = await request_refund(api, customer.token, case["id"], reason="DAMAGED", amount=5000)
    refund_id = requested["refund"]["id"]
    resolved = await api.gql.ok(
        CHANGE_STATUS, {"input": {"caseId": case["id"], "status": "RESOLVED"}}, agent
    )
    assert resolved["changeCaseStatus"]["supportCase"]["status"] == "RESOLVED"
    await api.gql.ok(APPROVE_REFUND, {"input": {"refundId": refund_id}}, agent)
    failed = await refund_until(api, agent, refund_id, "FAILED")
    assert failed["failureReason"] == "card_expired"
    assert failed["supportCase"]["status"] == "OPEN"  # back in the queue
    summaries = [e["node"]["summary"] for e in failed["supportCase"]["timeline"]["edges"]]
    assert any("card_expired" in s for s in summaries)
    listed = await api.gql.ok(REFUNDS_BY_STATUS, {"s": ["FAILED"]}, agent)
    assert {"id": refund_id, "status": "FAILED", "failureReason": "card_expired"} in [
        e["node"] for e in listed["refunds"]["edges"]
    ]

    # The gateway behaves again; an agent retries: a new attempt, paid.
    gateway.clear_faults()
    body = await api.gql(RETRY_REFUND, {"input": {"refundId": refund_id}}, customer.token)
    assert codes(body) == ["FORBIDDEN"]
    retried = await api.gql.ok(RETRY_REFUND, {"input": {"refundId": refund_id}}, agent)
    assert retried["retryRefund"]["__typename"] == "RefundRetried", retried
    assert retried["retryRefund"]["refund"]["attempt"] == 2
    assert retried["retryRefund"]["refund"]["status"] in ("PROCESSING", "SUCCEEDED")
    paid_again = await refund_until(api, agent, refund_id, "SUCCEEDED")
    assert paid_again["attempt"] == 2 and paid_again["failureReason"] is None
    assert gateway.payout_count(f"{_internal(refund_id)}:1") == 0
    assert gateway.payout_count(f"{_internal(refund_id)}:2") == 1
    # The failure, then its consequence (the resolved case reopens), then the retry.
    assert timeline_types(paid_again)[-4:] == [
        "REFUND_FAILED",
        "STATUS_CHANGED",
        "REFUND_RETRIED",
        "REFUND_SUCCEEDED",
    ]
    again = await api.gql.ok(RETRY_REFUND, {"input": {"refundId": refund_id}}, agent)
    assert again["retryRefund"]["__typename"] == "InvalidTransition"
    listed = await api.gql.ok(REFUNDS_BY_STATUS, {"s": ["FAILED"]}, agent)
    assert refund_id not in [e["node"]["id"] for e in listed["refunds"]["edges"]]


async def test_a_request_the_gateway_rejects_stays_processing_and_is_listed(
    embedded: tuple[Api, PaymentGatewaySimulatorState],
) -> None:
    api, gateway = embedded
    agent = await api.token("agent@example.com")
    customer = await api.new_customer("Stuck Refund")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    requested = await request_refund(api, customer.token, case["id"], reason="DAMAGED", amount=4000)
    refund_id = requested["refund"]["id"]
    # A bug elsewhere used this refund's key with other parameters: the gateway will say 422.
    await gateway.refund(
        idempotency_key=f"{_internal(refund_id)}:1",
        payment_reference="someone-else",
        amount=1,
        currency="USD",
    )
    await api.gql.ok(APPROVE_REFUND, {"input": {"refundId": refund_id}}, agent)
    stuck = await refund_until(api, agent, refund_id, "PROCESSING")
    runtime = api.runtime

    async def refund_jobs() -> list[RefundJob]:
        async with runtime.services.uow() as uow:
            return await uow.refund_jobs.list_for_refund(_internal(refund_id))

    # The worker marks the job DEAD (and logs it loudly); the refund stays visible.
    jobs = await poll_until(refund_jobs, until=lambda jobs: jobs and jobs[0].status.value == "DEAD")
    assert "idempotency_key_reused" in (jobs[0].last_error or "")
    assert stuck["failureReason"] is None
    listed = await api.gql.ok(REFUNDS_BY_STATUS, {"s": ["PROCESSING"]}, agent)
    assert refund_id in [e["node"]["id"] for e in listed["refunds"]["edges"]]
    assert gateway.payout_count(f"{_internal(refund_id)}:1") == 1  # the other request's, not ours
    assert (await refund_until(api, agent, refund_id, "PROCESSING"))["status"] == "PROCESSING"


OPS = """query($after: String) {
  queueDepths { pending due leased dead done oldestPendingAgeSeconds }
  deadRefundJobs(first: 100, after: $after) {
    edges { cursor node { id attempt status claims tries lastError requestId
      refund { id status } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
AUDIT = """{ auditLog(first: 5) { edges { node { action actor { email }
  details { key value } } } } }"""


async def test_admins_see_dead_jobs_and_run_one_again(
    embedded: tuple[Api, PaymentGatewaySimulatorState],
) -> None:
    api, gateway = embedded
    agent = await api.token("agent@example.com")
    admin = await api.token("admin@example.com")
    customer = await api.new_customer("Dead Job")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    requested = await request_refund(api, customer.token, case["id"], reason="DAMAGED", amount=3000)
    refund_id = requested["refund"]["id"]
    key = f"{_internal(refund_id)}:1"
    await gateway.refund(
        idempotency_key=key, payment_reference="someone-else", amount=1, currency="USD"
    )
    await api.gql.ok(APPROVE_REFUND, {"input": {"refundId": refund_id}}, agent)

    async def dead_jobs() -> dict[str, Any]:
        data = await api.gql.ok(OPS, {}, admin)
        return data

    def listed(data: dict[str, Any]) -> dict[str, Any] | None:
        nodes = [e["node"] for e in data["deadRefundJobs"]["edges"]]
        return next((n for n in nodes if n["id"] == key), None)

    data = await poll_until(dead_jobs, until=listed, what="the job listed as DEAD")
    job = listed(data)
    assert job is not None
    assert job["status"] == "DEAD" and job["claims"] == 1 and job["attempt"] == 1
    assert job["refund"] == {"id": refund_id, "status": "PROCESSING"}
    assert "idempotency_key_reused" in job["lastError"]
    assert job["requestId"]  # the approval's request id: grep the logs for it
    assert data["queueDepths"]["dead"] >= 1
    # Only admins see them, and only admins run one again.
    for token in (agent, customer.token):
        denied = await api.gql(OPS, {}, token)
        assert denied["data"] is None and set(codes(denied)) == {"FORBIDDEN"}, denied
    refused = await api.gql(RETRY_REFUND, {"input": {"refundId": refund_id}}, agent)
    assert codes(refused) == ["FORBIDDEN"], refused

    retried = await api.gql.ok(RETRY_REFUND, {"input": {"refundId": refund_id}}, admin)
    assert retried["retryRefund"]["__typename"] == "RefundRetried", retried
    assert retried["retryRefund"]["refund"]["status"] == "PROCESSING"
    # The worker ran it again, same key (the gateway still refuses it: DEAD once more).
    data = await poll_until(
        dead_jobs,
        until=lambda d: (listed(d) or {}).get("claims") == 2,
        what="the job claimed a second time and DEAD again",
    )
    assert (listed(data) or {})["attempt"] == 1
    audit = await api.gql.ok(AUDIT, {}, admin)
    entries = [e["node"] for e in audit["auditLog"]["edges"]]
    retry_entry = next(e for e in entries if e["action"] == "REFUND_JOB_RETRIED")
    assert retry_entry["actor"] == {"email": "admin@example.com"}
    details = {d["key"]: d["value"] for d in retry_entry["details"]}
    assert details["refund"] == _internal(refund_id) and details["attempt"] == "1"
    # Paging: a cursor continues after the job.
    after = await api.gql.ok(OPS, {"after": key}, admin)
    assert listed(after) is None


def _internal(global_id: str) -> str:
    from app.graphql.ids import decode_expected

    decoded = decode_expected(global_id, "Refund")
    assert decoded is not None
    return decoded


# -- requestRefund(idempotencyKey), on the shared harness (PostgreSQL + Redis) ----------------


async def test_the_same_idempotency_key_returns_the_first_refund(api: Api) -> None:
    customer = await api.new_customer("Careful Retrier")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    fields = {"caseId": case["id"], "reason": "DAMAGED", "amount": 3000, "idempotencyKey": "k-1"}
    first = await api.gql.ok(REQUEST_REFUND, {"input": fields}, customer.token)
    assert first["requestRefund"]["__typename"] == "RefundRequested"
    again = await api.gql.ok(REQUEST_REFUND, {"input": fields}, customer.token)
    assert again == first
    other = await api.gql.ok(REQUEST_REFUND, {"input": {**fields, "amount": 3001}}, customer.token)
    assert other["requestRefund"]["__typename"] == "IdempotencyKeyReused"
    assert other["requestRefund"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    bad = await api.gql.ok(
        REQUEST_REFUND, {"input": {**fields, "idempotencyKey": "has space"}}, customer.token
    )
    assert bad["requestRefund"]["__typename"] == "ValidationFailed"
    assert [f["field"] for f in bad["requestRefund"]["fields"]] == ["idempotencyKey"]
    # Another customer's identical key is theirs alone: it never returns this refund.
    other_customer = await api.new_customer("Key Guesser")
    theirs = await api.gql.ok(REQUEST_REFUND, {"input": fields}, other_customer.token)
    assert theirs["requestRefund"]["__typename"] == "NotFound"


async def test_parallel_identical_requests_create_exactly_one_refund(api: Api) -> None:
    customer = await api.new_customer("Double Clicker")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    fields = {"caseId": case["id"], "reason": "DAMAGED", "amount": 2900, "idempotencyKey": "dbl"}
    results = await asyncio.gather(
        *(api.gql.ok(REQUEST_REFUND, {"input": fields}, customer.token) for _ in range(8))
    )
    kinds = {r["requestRefund"]["__typename"] for r in results}
    assert kinds == {"RefundRequested"}, results
    assert len({r["requestRefund"]["refund"]["id"] for r in results}) == 1
    data = await api.gql.ok(
        "query($id: ID!) { supportCase(id: $id) { refunds { id } } }",
        {"id": case["id"]},
        customer.token,
    )
    assert len(data["supportCase"]["refunds"]) == 1
