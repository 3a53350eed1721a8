"""Property: whatever customers, agents and admins do to one order's refunds, in any order and
even at the same time, the money held by refunds never exceeds the order total."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.cases import CaseCategory
from domain.errors import DomainError
from domain.refunds import RefundLine, RefundPolicy, RefundReason, RefundRequest, RefundStatus
from domain.usecases.approve_refund import approve_refund
from domain.usecases.cancel_refund import cancel_refund
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.reject_refund import reject_refund
from domain.usecases.request_refund import request_refund
from tests.unit.builders import NOW, ORDER_120, World, make_world

LINES = (f"{ORDER_120}-l1", f"{ORDER_120}-l2")  # 40.00 x 1, 75.00 x 1; shipping 5.00


@dataclass(frozen=True)
class Request:
    by_agent: bool
    amount: int | None
    lines: tuple[tuple[int, int], ...]  # (line index, quantity)
    shipping: bool


@dataclass(frozen=True)
class Decide:
    kind: str  # approve_agent | approve_admin | reject | cancel
    pick: int  # which refund (index modulo the number of refunds)


@dataclass(frozen=True)
class Together:
    """Two operations started at the same time."""

    first: Request | Decide
    second: Request | Decide


Operation = Request | Decide | Together

requests = st.builds(
    Request,
    by_agent=st.booleans(),
    amount=st.one_of(st.none(), st.integers(1, 13000)),
    lines=st.lists(
        st.tuples(st.integers(0, 1), st.integers(1, 2)), max_size=2, unique_by=lambda t: t[0]
    ).map(tuple),
    shipping=st.booleans(),
)
decisions = st.builds(
    Decide,
    kind=st.sampled_from(["approve_agent", "approve_admin", "reject", "cancel"]),
    pick=st.integers(0, 50),
)
single = st.one_of(requests, decisions)
operations = st.lists(
    st.one_of(single, st.builds(Together, single, single)), min_size=1, max_size=25
)


def prepare(world: World, op: Request | Decide, case_id: str) -> Callable[[], Awaitable[object]]:
    s = world.services
    if isinstance(op, Request):
        request = RefundRequest(
            reason=RefundReason.DAMAGED,
            amount=op.amount if not op.lines else None,
            lines=tuple(RefundLine(LINES[i], q) for i, q in op.lines),
            include_shipping=op.shipping,
        )
        who = world.agent if op.by_agent else world.alice
        return lambda: request_refund(s, who, case_id, request)
    refunds = sorted(world.store.refunds.values(), key=lambda r: (r.created_at, r.id))
    if not refunds:
        return lambda: asyncio.sleep(0)
    refund_id = refunds[op.pick % len(refunds)].id
    if op.kind == "approve_agent":
        return lambda: approve_refund(s, world.agent, refund_id, None)
    if op.kind == "approve_admin":
        return lambda: approve_refund(s, world.admin, refund_id, None)
    if op.kind == "reject":
        return lambda: reject_refund(s, world.agent, refund_id, "no")
    return lambda: cancel_refund(s, world.alice, refund_id)


def check_invariants(world: World) -> None:
    order = world.orders.orders[ORDER_120]
    refunds = [r for r in world.store.refunds.values() if r.order_id == ORDER_120]
    holding = [r for r in refunds if r.status.holds_money]
    held = sum(r.amount.amount for r in holding)
    assert held <= order.total.amount, refunds
    reserved = world.store.reserved(ORDER_120)
    assert (reserved.amount if reserved else 0) == held  # the database guard agrees
    assert sum(1 for r in refunds if r.status is RefundStatus.REQUESTED) <= 1
    assert sum(1 for r in holding if r.include_shipping) <= 1
    for line in order.lines:
        refunded = sum(rl.quantity for r in holding for rl in r.lines if rl.line_id == line.id)
        assert refunded <= line.quantity
    # Every refund's steps are in the log, ending in its current status.
    for refund in refunds:
        steps = [e.after for e in world.store.events if e.refund_id == refund.id]
        assert steps[0] == RefundStatus.REQUESTED
        assert steps[-1] == refund.status


async def scenario(ops: list[Operation], auto_max: int) -> int:
    world = make_world(
        NOW, refund_policy=RefundPolicy(requests_per_day=1000, auto_approve_max_minor=auto_max)
    )
    case = await open_case(
        world.services,
        world.alice,
        OpenCase("Refund", "Please", CaseCategory.REFUND_REQUEST, order_id=ORDER_120),
    )
    for op in ops:
        # Every order-system call yields to the loop, so paired operations really interleave.
        pair = (op.first, op.second) if isinstance(op, Together) else (op,)
        calls = [prepare(world, one, case.id) for one in pair]
        results = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, DomainError):
                raise result
        world.clock.advance(minutes=7)
        check_invariants(world)
    return len(world.store.refunds)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, auto_max=st.sampled_from([0, 2500, 13000]))
def test_refunds_never_exceed_the_order_total(ops: list[Operation], auto_max: int) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(scenario(ops, auto_max))
    finally:
        loop.close()
