"""The use cases end to end over the memory adapters (no I/O)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from domain.cases import CaseCategory, CasePriority, CaseStatus, SupportCase
from domain.errors import (
    ApprovalLimitExceeded,
    ConcurrentUpdate,
    DomainError,
    ErrorCode,
    Forbidden,
    InvalidAccessToken,
    InvalidCredentials,
    InvalidRefreshToken,
    InvalidTransition,
    NotFound,
    RateLimited,
    RefundDenial,
    RefundNotAllowed,
    ValidationFailed,
)
from domain.events import CaseEvent, CaseEventType
from domain.orders import OrderStatus
from domain.queries import CaseFilter
from domain.refunds import (
    Refund,
    RefundApproval,
    RefundLine,
    RefundPolicy,
    RefundReason,
    RefundRequest,
    RefundStatus,
)
from domain.usecases.approve_refund import approve_refund
from domain.usecases.assign_case import assign_case
from domain.usecases.cancel_refund import cancel_refund
from domain.usecases.change_case_status import change_case_status
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.order_access import OrderUnavailable, my_orders, visible_order
from domain.usecases.post_message import post_message
from domain.usecases.refund_quote import refund_quote
from domain.usecases.reject_refund import reject_refund
from domain.usecases.request_refund import request_refund
from domain.usecases.sessions import authenticate, login, logout, refresh_session
from domain.usecases.set_case_priority import set_case_priority
from domain.users import Principal, Role
from tests.unit.builders import (
    ADMIN_ID,
    AGENT_ID,
    ALICE_ID,
    NOW,
    ORDER_120,
    ORDER_BOB,
    ORDER_LOST,
    ORDER_OLD,
    ORDER_SHIPPED,
    ORDER_SMALL,
    PASSWORD,
    SAM_ID,
    World,
    make_world,
    usd,
)

E = CaseEventType


# -- helpers --------------------------------------------------------------------------------------


async def open_for(w: World, who: Principal, order_id: str | None = ORDER_120) -> SupportCase:
    return await open_case(
        w.services,
        who,
        OpenCase(
            subject="Damaged headphones",
            description="The headphones arrived with a cracked ear cup.",
            category=CaseCategory.REFUND_REQUEST,
            order_id=order_id,
        ),
    )


async def ask(
    w: World,
    who: Principal,
    case: SupportCase,
    amount: int | None = None,
    reason: RefundReason = RefundReason.DAMAGED,
    **kw: object,
) -> Refund:
    request = RefundRequest(reason=reason, amount=amount, **kw)  # type: ignore[arg-type]
    return await request_refund(w.services, who, case.id, request)


def denial_of(info: pytest.ExceptionInfo[RefundNotAllowed]) -> RefundDenial:
    return info.value.denial


def log(w: World, case_id: str) -> list[CaseEvent]:
    return [e for e in w.store.events if e.case_id == case_id]


class Snapshot:
    """What a failed use case must not have changed."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.events = len(w.store.events)
        self.published = len(w.publisher.published)
        self.cases = {k: dataclasses.replace(v) for k, v in w.store.cases.items()}
        self.refunds = {k: dataclasses.replace(v) for k, v in w.store.refunds.items()}
        self.messages = dict(w.store.messages)
        self.ledger = dict(w.store.ledger)

    def assert_unchanged(self) -> None:
        w = self.w
        assert len(w.store.events) == self.events
        assert len(w.publisher.published) == self.published
        assert w.store.cases == self.cases
        assert w.store.refunds == self.refunds
        assert w.store.messages == self.messages
        assert w.store.ledger == self.ledger


# -- the demo journey of the foundation issue -----------------------------------------------------


async def test_demo_journey(world: World) -> None:
    w = world
    # Alice opens a case about the 120.00 order.
    case = await open_for(w, w.alice)
    assert case.number == 1 and case.display_number == "CS-000001"
    assert case.status is CaseStatus.OPEN and case.priority is CasePriority.NORMAL
    assert case.customer_id == ALICE_ID and case.order_id == ORDER_120

    # She asks for 40.00 back because it arrived damaged: above 25.00, so an agent decides.
    w.clock.advance(minutes=5)
    refund = await ask(w, w.alice, case, lines=(RefundLine(f"{ORDER_120}-l1", 1),))
    assert refund.status is RefundStatus.REQUESTED
    assert refund.amount == usd(4000) and refund.approval is None
    assert w.store.reserved(ORDER_120) == usd(4000)

    # The agent writes an internal note and a public reply.
    w.clock.advance(minutes=10)
    note, _ = await post_message(
        w.services, w.agent, case.id, "Photos look genuine.", internal=True
    )
    w.clock.advance(minutes=1)
    reply, after_reply = await post_message(
        w.services, w.agent, case.id, "Sorry about that, refunding the headphones."
    )
    assert after_reply.first_responded_at == w.clock.now()
    assert not after_reply.first_response_breached(w.clock.now())

    # ...and approves the refund.
    w.clock.advance(minutes=1)
    approved = await approve_refund(w.services, w.agent, refund.id, "Damaged in transit")
    assert approved.status is RefundStatus.APPROVED
    assert approved.approval is RefundApproval.AGENT and approved.decided_by_id == AGENT_ID
    stored = await w.services.reads.get_refund(refund.id)
    assert stored is not None and stored.status is RefundStatus.APPROVED
    assert w.store.reserved(ORDER_120) == usd(4000)  # approval holds the same reservation

    # The timeline has every step, in order, with who did it.
    timeline = log(w, case.id)
    assert [(e.type, e.actor_id, e.internal) for e in timeline] == [
        (E.CASE_OPENED, ALICE_ID, False),
        (E.REFUND_REQUESTED, ALICE_ID, False),
        (E.MESSAGE_POSTED, AGENT_ID, True),
        (E.MESSAGE_POSTED, AGENT_ID, False),
        (E.REFUND_APPROVED, AGENT_ID, False),
        (E.REFUND_QUEUED, AGENT_ID, False),  # the approval and its payment job, together
    ]
    sequences = [e.sequence for e in timeline if e.sequence is not None]
    assert len(sequences) == len(timeline)
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert timeline[2].message_id == note.id and timeline[3].message_id == reply.id
    assert timeline[1].refund_id == timeline[4].refund_id == refund.id
    assert [e.occurred_at for e in timeline] == sorted(e.occurred_at for e in timeline)
    # Everything was published, once, in the same order, after it was committed.
    assert w.publisher.events == timeline

    # Alice never sees the internal note, by messages or by the timeline.
    reads = w.services.reads
    alice_messages = await reads.list_messages(
        case.id, include_internal=False, first=100, after=None
    )
    assert [m.id for m in alice_messages.items] == [reply.id]
    alice_timeline = await reads.list_events(case.id, include_internal=False, first=100, after=None)
    assert note.id not in {e.message_id for e in alice_timeline.items}
    assert len(alice_timeline.items) == 5
    last = await reads.last_messages([case.id], include_internal=False)
    assert last[case.id].id == reply.id
    agent_timeline = await reads.list_events(case.id, include_internal=True, first=100, after=None)
    assert agent_timeline.items == timeline


# -- refund requests ------------------------------------------------------------------------------


async def test_order_delivered_45_days_ago_is_outside_the_window(world: World) -> None:
    case = await open_for(world, world.alice, ORDER_OLD)
    before = Snapshot(world)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(world, world.alice, case, 1000)
    assert denial_of(info) is RefundDenial.OUTSIDE_REFUND_WINDOW
    assert info.value.code is ErrorCode.REFUND_NOT_ALLOWED
    before.assert_unchanged()


async def test_more_than_the_remainder_is_refused(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    first = await ask(w, w.alice, case, 4000)
    await approve_refund(w.services, w.agent, first.id, None)
    before = Snapshot(w)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, 8001)
    assert denial_of(info) is RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT
    before.assert_unchanged()
    rest = await ask(w, w.alice, case, 8000)
    assert rest.status is RefundStatus.REQUESTED
    assert w.store.reserved(ORDER_120) == usd(12000)


async def test_small_refund_is_approved_by_the_policy(world: World) -> None:
    w = world
    case = await open_for(w, w.alice, ORDER_SMALL)
    refund = await ask(w, w.alice, case, lines=(RefundLine(f"{ORDER_SMALL}-l1", 1),))
    assert refund.amount == usd(1999)
    assert refund.status is RefundStatus.APPROVED
    assert refund.approval is RefundApproval.AUTO_POLICY
    assert refund.decided_by_id is None and refund.decided_at == NOW
    assert refund.decision_note is not None and "USD 25.00" in refund.decision_note
    types = [(e.type, e.actor_id) for e in log(w, case.id)]
    assert types == [
        (E.CASE_OPENED, ALICE_ID),
        (E.REFUND_REQUESTED, ALICE_ID),
        (E.REFUND_APPROVED, None),
        (E.REFUND_QUEUED, None),  # the policy's decision and its payment job, together
    ]


async def test_auto_approval_stops_after_two_granted_refunds_in_90_days(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    first = await ask(w, w.alice, case, 1000)
    second = await ask(w, w.alice, case, 1000)
    third = await ask(w, w.alice, case, 1000)
    assert [r.status for r in (first, second, third)] == [
        RefundStatus.APPROVED,
        RefundStatus.APPROVED,
        RefundStatus.REQUESTED,
    ]
    assert third.approval is None


async def test_auto_approval_looks_back_90_days_only(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    first = await ask(w, w.alice, case, 1000)
    second = await ask(w, w.alice, case, 1000)
    assert first.approval is second.approval is RefundApproval.AUTO_POLICY
    w.clock.advance(days=20)  # the 120.00 order is outside its window by now: use the lost one
    lost = await open_for(w, w.alice, ORDER_LOST)
    third = await ask(w, w.alice, lost, 1000, RefundReason.NOT_RECEIVED)
    assert third.status is RefundStatus.REQUESTED and third.approval is None
    await cancel_refund(w.services, w.alice, third.id)
    w.clock.set(NOW + timedelta(days=90, seconds=1))  # the two grants are now too old to count
    again = await ask(w, w.alice, lost, 1000, RefundReason.NOT_RECEIVED)
    assert again.approval is RefundApproval.AUTO_POLICY


async def test_rejected_refunds_do_not_count_as_granted(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    for _ in range(2):
        r = await ask(w, w.alice, case, 3000)  # above 25.00: needs an agent
        await reject_refund(w.services, w.agent, r.id, "No")
    w.clock.advance(days=1, seconds=1)
    assert (await ask(w, w.alice, case, 1000)).approval is RefundApproval.AUTO_POLICY


async def test_above_the_agent_limit_needs_an_admin(world: World) -> None:
    w = world
    case = await open_for(w, w.bob, ORDER_BOB)
    refund = await ask(w, w.bob, case, 80000)
    assert refund.status is RefundStatus.REQUESTED
    before = Snapshot(w)
    with pytest.raises(ApprovalLimitExceeded) as info:
        await approve_refund(w.services, w.agent, refund.id, None)
    assert "USD 500.00" in info.value.message
    before.assert_unchanged()
    approved = await approve_refund(w.services, w.admin, refund.id, "OK by admin")
    assert approved.status is RefundStatus.APPROVED
    assert approved.approval is RefundApproval.ADMIN and approved.decided_by_id == ADMIN_ID


async def test_agent_may_approve_exactly_the_limit(world: World) -> None:
    w = world
    case = await open_for(w, w.bob, ORDER_BOB)
    refund = await ask(w, w.bob, case, 50000)
    assert (
        await approve_refund(w.services, w.agent, refund.id, None)
    ).approval is RefundApproval.AGENT


async def test_never_delivered_order_not_received(world: World) -> None:
    w = world
    case = await open_for(w, w.alice, ORDER_LOST)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, 4500, RefundReason.DAMAGED)
    assert denial_of(info) is RefundDenial.ORDER_NOT_DELIVERED
    refund = await ask(
        w,
        w.alice,
        case,
        reason=RefundReason.NOT_RECEIVED,
        lines=(RefundLine(f"{ORDER_LOST}-l1", 1),),
        include_shipping=True,
    )
    assert refund.amount == usd(5000) and refund.status is RefundStatus.REQUESTED


async def test_shipped_order_before_its_promised_date(world: World) -> None:
    case = await open_for(world, world.alice, ORDER_SHIPPED)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(world, world.alice, case, 100, RefundReason.NOT_RECEIVED)
    assert denial_of(info) is RefundDenial.ORDER_NOT_DELIVERED


async def test_cancelled_order(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    w.orders.update(ORDER_120, status=OrderStatus.CANCELLED)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, 100)
    assert denial_of(info) is RefundDenial.ORDER_CANCELLED


async def test_one_pending_request_at_a_time(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    pending = await ask(w, w.alice, case, 4000)
    before = Snapshot(w)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, 3000)
    assert denial_of(info) is RefundDenial.REFUND_ALREADY_PENDING
    before.assert_unchanged()
    # ...and also for the agent filing on the customer's behalf.
    with pytest.raises(RefundNotAllowed):
        await ask(w, w.agent, case, 3000)
    await approve_refund(w.services, w.agent, pending.id, None)
    assert (await ask(w, w.alice, case, 3000)).status is RefundStatus.REQUESTED


async def test_fourth_request_in_24_hours_is_refused(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    for _ in range(3):
        refund = await ask(w, w.alice, case, 3000)
        await cancel_refund(w.services, w.alice, refund.id)
        w.clock.advance(hours=1)
    before = Snapshot(w)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, 3000)
    assert denial_of(info) is RefundDenial.TOO_MANY_REQUESTS
    before.assert_unchanged()
    # 24 h after the first request, one slot is free again.
    w.clock.set(NOW + timedelta(days=1, seconds=1))
    assert (await ask(w, w.alice, case, 3000)).status is RefundStatus.REQUESTED


async def test_requests_per_day_count_across_orders(world: World) -> None:
    w = world
    cases = [await open_for(w, w.alice, oid) for oid in (ORDER_120, ORDER_SMALL, ORDER_LOST)]
    await ask(w, w.alice, cases[0], 100)
    await ask(w, w.alice, cases[1], 100)
    await ask(w, w.alice, cases[2], 100, RefundReason.NOT_RECEIVED)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, cases[0], 100)
    assert denial_of(info) is RefundDenial.TOO_MANY_REQUESTS


async def test_line_quantity_and_shipping_once_through_the_use_case(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    line = RefundLine(f"{ORDER_120}-l2", 1)
    first = await ask(w, w.alice, case, lines=(line,), include_shipping=True)
    assert first.amount == usd(8000)
    await approve_refund(w.services, w.agent, first.id, None)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, lines=(line,))
    assert denial_of(info) is RefundDenial.LINE_QUANTITY_EXCEEDED
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, include_shipping=True)
    assert denial_of(info) is RefundDenial.SHIPPING_ALREADY_REFUNDED


async def test_invalid_request_is_a_validation_error(world: World) -> None:
    case = await open_for(world, world.alice)
    before = Snapshot(world)
    with pytest.raises(ValidationFailed):
        await ask(world, world.alice, case, reason=RefundReason.OTHER, amount=100)
    with pytest.raises(ValidationFailed):
        await ask(world, world.alice, case, lines=(RefundLine("not-a-line", 1),))
    before.assert_unchanged()


async def test_order_that_is_no_longer_the_customers_is_refused(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    w.orders.update(ORDER_120, customer_id="cust-bob")
    before = Snapshot(w)
    with pytest.raises(RefundNotAllowed):
        await ask(w, w.alice, case, 100)
    before.assert_unchanged()


async def test_case_without_an_order(world: World) -> None:
    case = await open_for(world, world.alice, None)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(world, world.alice, case, 100)
    assert denial_of(info) is RefundDenial.CASE_HAS_NO_ORDER


async def test_order_system_down_nothing_is_written(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    pending = await ask(w, w.alice, case, 4000)
    w.orders.down = True
    before = Snapshot(w)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, 100)
    assert denial_of(info) is RefundDenial.ORDER_UNAVAILABLE
    assert info.value.code is ErrorCode.REFUND_NOT_ALLOWED
    with pytest.raises(RefundNotAllowed) as info:
        await approve_refund(w.services, w.agent, pending.id, None)
    assert denial_of(info) is RefundDenial.ORDER_UNAVAILABLE
    with pytest.raises(OrderUnavailable) as unavailable:
        await open_for(w, w.alice, ORDER_SMALL)
    assert unavailable.value.code is ErrorCode.ORDER_UNAVAILABLE
    with pytest.raises(OrderUnavailable):
        await refund_quote(w.services, w.alice, ORDER_120)
    with pytest.raises(OrderUnavailable):
        await my_orders(w.services, w.alice, first=10, after=None)
    before.assert_unchanged()
    # Money decisions read fresh; display and ownership checks may use the (possibly cached) read.
    assert w.orders.calls["get_orders_fresh"] >= 2
    assert w.orders.calls["get_orders"] >= 2
    w.orders.down = False
    assert (
        await approve_refund(w.services, w.agent, pending.id, None)
    ).status is RefundStatus.APPROVED


async def test_cancelled_order_cannot_be_approved(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    refund = await ask(w, w.alice, case, 4000)
    w.orders.update(ORDER_120, status=OrderStatus.CANCELLED)
    with pytest.raises(RefundNotAllowed) as info:
        await approve_refund(w.services, w.agent, refund.id, None)
    assert denial_of(info) is RefundDenial.ORDER_CANCELLED


async def test_reject_and_cancel_release_the_reservation(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    refund = await ask(w, w.alice, case, 12000)
    assert w.store.reserved(ORDER_120) == usd(12000)
    rejected = await reject_refund(w.services, w.agent, refund.id, "Not damaged on the photos")
    assert rejected.status is RefundStatus.REJECTED and rejected.decided_by_id == AGENT_ID
    assert w.store.reserved(ORDER_120) == usd(0)
    again = await ask(w, w.alice, case, 12000)
    cancelled = await cancel_refund(w.services, w.alice, again.id)
    assert cancelled.status is RefundStatus.CANCELLED
    assert w.store.reserved(ORDER_120) == usd(0)
    types = [e.type for e in log(w, case.id)]
    assert types == [
        E.CASE_OPENED,
        E.REFUND_REQUESTED,
        E.REFUND_REJECTED,
        E.REFUND_REQUESTED,
        E.REFUND_CANCELLED,
    ]


@pytest.mark.parametrize("decision", ["approve", "reject", "cancel"])
async def test_decisions_after_a_decision_are_invalid_transitions(
    world: World, decision: str
) -> None:
    w = world
    case = await open_for(w, w.alice)
    refund = await ask(w, w.alice, case, 4000)
    await reject_refund(w.services, w.agent, refund.id, "No")
    before = Snapshot(w)
    with pytest.raises(InvalidTransition) as info:
        if decision == "approve":
            await approve_refund(w.services, w.agent, refund.id, None)
        elif decision == "reject":
            await reject_refund(w.services, w.agent, refund.id, "Still no")
        else:
            await cancel_refund(w.services, w.alice, refund.id)
    assert "REJECTED" in info.value.message
    before.assert_unchanged()


async def test_rejection_needs_a_note(world: World) -> None:
    case = await open_for(world, world.alice)
    refund = await ask(world, world.alice, case, 4000)
    with pytest.raises(ValidationFailed):
        await reject_refund(world.services, world.agent, refund.id, "  ")


async def test_concurrent_approvals_decide_once(world: World) -> None:
    w = world
    w.orders.latency = 0.001  # both approvals read the order before either writes
    case = await open_for(w, w.alice)
    refund = await ask(w, w.alice, case, 4000)
    results = await asyncio.gather(
        approve_refund(w.services, w.agent, refund.id, None),
        reject_refund(w.services, w.admin, refund.id, "no"),
        approve_refund(w.services, w.admin, refund.id, None),
        return_exceptions=True,
    )
    successes = [r for r in results if isinstance(r, Refund)]
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(successes) == 1, results
    assert all(isinstance(f, InvalidTransition | ConcurrentUpdate) for f in failures), failures
    decided = [e for e in log(w, case.id) if e.type in (E.REFUND_APPROVED, E.REFUND_REJECTED)]
    assert len(decided) == 1


async def test_concurrent_requests_never_exceed_the_total(world: World) -> None:
    w = world
    w.orders.latency = 0.001
    case = await open_for(w, w.alice, ORDER_SMALL)
    results = await asyncio.gather(
        ask(w, w.alice, case, 1999),
        ask(w, w.agent, case, 1999),
        ask(w, w.alice, case, 1000),
        return_exceptions=True,
    )
    granted = [r for r in results if isinstance(r, Refund)]
    assert len(granted) == 1, results
    assert all(isinstance(r, RefundNotAllowed) for r in results if not isinstance(r, Refund))
    assert w.store.reserved(ORDER_SMALL) == granted[0].amount


# -- access: other customers' things and staff-only operations ------------------------------------


async def test_bob_cannot_see_or_touch_alices_case_or_refund(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    refund = await ask(w, w.alice, case, 4000)
    before = Snapshot(w)
    bob, s = w.bob, w.services
    attempts = [
        post_message(s, bob, case.id, "hi"),
        change_case_status(s, bob, case.id, CaseStatus.RESOLVED),
        request_refund(s, bob, case.id, RefundRequest(reason=RefundReason.DAMAGED, amount=100)),
        cancel_refund(s, bob, refund.id),
        refund_quote(s, bob, ORDER_120),
        visible_order(s, bob, ORDER_120),
        open_case(s, bob, OpenCase("x", "y", CaseCategory.OTHER, order_id=ORDER_120)),
    ]
    for attempt in attempts:
        with pytest.raises(NotFound):
            await attempt
    before.assert_unchanged()
    # Exactly what something that does not exist looks like.
    with pytest.raises(NotFound) as missing:
        await post_message(s, bob, "no-such-case", "hi")
    with pytest.raises(NotFound) as foreign:
        await post_message(s, bob, case.id, "hi")
    assert str(missing.value) == str(foreign.value)
    with pytest.raises(NotFound) as missing_refund:
        await cancel_refund(s, bob, "no-such-refund")
    with pytest.raises(NotFound) as foreign_refund:
        await cancel_refund(s, bob, refund.id)
    assert str(missing_refund.value) == str(foreign_refund.value)
    bobs = await s.reads.list_cases(CaseFilter(customer_id=bob.user_id), first=10, after=None)
    assert bobs.items == []


async def test_customers_calling_agent_operations_are_forbidden(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    refund = await ask(w, w.alice, case, 4000)
    before = Snapshot(w)
    alice, s = w.alice, w.services
    attempts = [
        approve_refund(s, alice, refund.id, None),
        reject_refund(s, alice, refund.id, "no"),
        assign_case(s, alice, case.id, AGENT_ID),
        set_case_priority(s, alice, case.id, CasePriority.URGENT),
        post_message(s, alice, case.id, "internal?", internal=True),
        change_case_status(s, alice, case.id, CaseStatus.IN_PROGRESS),
        change_case_status(s, alice, case.id, CaseStatus.WAITING_ON_CUSTOMER),
        open_case(s, alice, OpenCase("x", "y", CaseCategory.OTHER, priority=CasePriority.URGENT)),
        open_case(s, alice, OpenCase("x", "y", CaseCategory.OTHER, customer_id="user-bob")),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden) as info:
            await attempt
        assert info.value.code is ErrorCode.FORBIDDEN
    before.assert_unchanged()


async def test_only_the_customer_cancels_a_request(world: World) -> None:
    case = await open_for(world, world.alice)
    refund = await ask(world, world.alice, case, 4000)
    with pytest.raises(Forbidden):
        await cancel_refund(world.services, world.agent, refund.id)


async def test_agent_opens_a_case_on_behalf_of_a_customer(world: World) -> None:
    w = world
    with pytest.raises(ValidationFailed):
        await open_for(w, w.agent)
    case = await open_case(
        w.services,
        w.agent,
        OpenCase(
            "Phone call",
            "Customer called",
            CaseCategory.DELIVERY_PROBLEM,
            order_id=ORDER_LOST,
            priority=CasePriority.HIGH,
            customer_id=ALICE_ID,
        ),
    )
    assert case.customer_id == ALICE_ID and case.priority is CasePriority.HIGH
    assert log(w, case.id)[0].actor_id == ALICE_ID
    with pytest.raises(NotFound):  # bob's order is not alice's
        await open_case(
            w.services,
            w.agent,
            OpenCase("x", "y", CaseCategory.OTHER, order_id=ORDER_BOB, customer_id=ALICE_ID),
        )
    with pytest.raises(NotFound):  # staff are not customers
        await open_case(
            w.services, w.agent, OpenCase("x", "y", CaseCategory.OTHER, customer_id=SAM_ID)
        )
    refund = await ask(w, w.agent, case, 100, RefundReason.NOT_RECEIVED)
    assert refund.customer_id == ALICE_ID and refund.requested_by_id == AGENT_ID


async def test_unknown_order_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await open_for(world, world.alice, "ord-nope")


async def test_invalid_case_text_writes_nothing(world: World) -> None:
    before = Snapshot(world)
    with pytest.raises(ValidationFailed):
        await open_case(world.services, world.alice, OpenCase("", "\x00", CaseCategory.OTHER))
    before.assert_unchanged()
    assert world.store.last_case_number == 0


# -- case work through the use cases --------------------------------------------------------------


async def test_status_priority_and_assignment(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    await assign_case(w.services, w.agent, case.id, SAM_ID)
    await set_case_priority(w.services, w.agent, case.id, CasePriority.URGENT)
    await change_case_status(w.services, w.agent, case.id, CaseStatus.IN_PROGRESS)
    await change_case_status(w.services, w.agent, case.id, CaseStatus.WAITING_ON_CUSTOMER)
    w.clock.advance(hours=2)
    _, moved = await post_message(w.services, w.alice, case.id, "Here you go")
    assert moved.status is CaseStatus.IN_PROGRESS
    assert moved.first_response_due_at == NOW + timedelta(hours=3)  # 1 h + 2 h paused
    stored = await w.services.reads.get_case(case.id)
    assert stored is not None
    assert (stored.status, stored.priority, stored.assignee_id) == (
        CaseStatus.IN_PROGRESS,
        CasePriority.URGENT,
        SAM_ID,
    )
    assert stored.version == 5  # one per saved change
    assert [(e.type, e.actor_id) for e in log(w, case.id)] == [
        (E.CASE_OPENED, ALICE_ID),
        (E.ASSIGNED, AGENT_ID),
        (E.PRIORITY_CHANGED, AGENT_ID),
        (E.STATUS_CHANGED, AGENT_ID),
        (E.STATUS_CHANGED, AGENT_ID),
        (E.MESSAGE_POSTED, ALICE_ID),
        (E.STATUS_CHANGED, ALICE_ID),
    ]
    with pytest.raises(InvalidTransition) as info:
        await change_case_status(w.services, w.agent, case.id, CaseStatus.OPEN)
    assert "IN_PROGRESS" in info.value.message and "OPEN" in info.value.message


async def test_assignee_must_be_active_staff(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    with pytest.raises(NotFound):
        await assign_case(w.services, w.agent, case.id, ALICE_ID)
    with pytest.raises(NotFound):
        await assign_case(w.services, w.agent, case.id, "nobody")
    w.store.users[SAM_ID].active = False
    with pytest.raises(NotFound):
        await assign_case(w.services, w.agent, case.id, SAM_ID)
    assigned = await assign_case(w.services, w.admin, case.id, ADMIN_ID)
    assert assigned.assignee_id == ADMIN_ID
    assert (await assign_case(w.services, w.admin, case.id, None)).assignee_id is None


async def test_customer_resolves_and_reopens_within_14_days(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    await change_case_status(w.services, w.alice, case.id, CaseStatus.RESOLVED)
    w.clock.advance(days=14)
    reopened = await change_case_status(w.services, w.alice, case.id, CaseStatus.OPEN)
    assert reopened.status is CaseStatus.OPEN
    await change_case_status(w.services, w.agent, case.id, CaseStatus.RESOLVED)
    w.clock.advance(days=14, seconds=1)
    with pytest.raises(InvalidTransition):
        await change_case_status(w.services, w.alice, case.id, CaseStatus.OPEN)


async def test_closed_case_refuses_messages_through_the_use_case(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    await change_case_status(w.services, w.agent, case.id, CaseStatus.RESOLVED)
    await change_case_status(w.services, w.agent, case.id, CaseStatus.CLOSED)
    before = Snapshot(w)
    with pytest.raises(ValidationFailed):
        await post_message(w.services, w.alice, case.id, "hello?")
    before.assert_unchanged()


async def test_failed_domain_call_publishes_and_writes_nothing(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    before = Snapshot(w)
    for bad in (
        change_case_status(w.services, w.agent, case.id, CaseStatus.CLOSED),
        post_message(w.services, w.agent, case.id, " "),
    ):
        with pytest.raises(DomainError):
            await bad
    before.assert_unchanged()


async def test_commit_failure_publishes_nothing(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    before = Snapshot(w)
    w.store.fail_next_commit = ConnectionError("database went away")
    with pytest.raises(ConnectionError):
        await post_message(w.services, w.agent, case.id, "Hello")
    before.assert_unchanged()
    w.store.fail_next_commit = ConnectionError("database went away")
    with pytest.raises(ConnectionError):
        await ask(w, w.alice, case, 4000)
    before.assert_unchanged()
    assert w.store.reserved(ORDER_120) is None


async def test_events_are_published_after_commit_in_log_order(world: World) -> None:
    w = world
    case = await open_for(w, w.alice)
    async with w.publisher.subscription() as queue:
        _, after = await post_message(w.services, w.agent, case.id, "Hi")
        await change_case_status(w.services, w.agent, case.id, CaseStatus.IN_PROGRESS)
        received = [queue.get_nowait() for _ in range(queue.qsize())]
    assert [e.type for e in received] == [E.MESSAGE_POSTED, E.STATUS_CHANGED]
    assert received == w.store.events[-2:]
    assert [e.sequence for e in w.store.events] == list(range(1, len(w.store.events) + 1))


# -- orders and quotes ----------------------------------------------------------------------------


async def test_refund_quote(world: World) -> None:
    w = world
    quote = await refund_quote(w.services, w.alice, ORDER_120)
    assert quote.eligible and quote.denial is None
    assert quote.refundable_amount == usd(12000)
    assert quote.window_ends_at == NOW - timedelta(days=3) + timedelta(days=30)
    case = await open_for(w, w.alice)
    await ask(w, w.alice, case, 4000)
    quote = await refund_quote(w.services, w.agent, ORDER_120)
    assert quote.denial is RefundDenial.REFUND_ALREADY_PENDING and not quote.eligible
    assert quote.refundable_amount == usd(8000)
    old = await refund_quote(w.services, w.alice, ORDER_OLD)
    assert old.denial is RefundDenial.OUTSIDE_REFUND_WINDOW
    lost = await refund_quote(w.services, w.alice, ORDER_LOST)
    assert lost.eligible and lost.window_ends_at is None
    shipped = await refund_quote(w.services, w.alice, ORDER_SHIPPED)
    assert shipped.denial is RefundDenial.ORDER_NOT_DELIVERED


async def test_fully_refunded_order_quote(world: World) -> None:
    w = world
    case = await open_for(w, w.alice, ORDER_SMALL)
    await ask(w, w.alice, case, 1999)
    quote = await refund_quote(w.services, w.alice, ORDER_SMALL)
    assert quote.denial is RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT
    assert quote.refundable_amount == usd(0)


async def test_my_orders(world: World) -> None:
    w = world
    page = await my_orders(w.services, w.alice, first=3, after=None)
    assert len(page.items) == 3 and page.has_next_page and page.end_cursor is not None
    rest = await my_orders(w.services, w.alice, first=10, after=page.end_cursor)
    ids = [o.id for o in page.items + rest.items]
    assert sorted(ids) == [f"ord-alice-{i}" for i in range(1, 6)]
    assert not rest.has_next_page
    assert (await my_orders(w.services, w.agent, first=10, after=None)).items == []
    bobs = await my_orders(w.services, w.bob, first=10, after=None)
    assert [o.id for o in bobs.items] == [ORDER_BOB]


async def test_staff_see_any_order(world: World) -> None:
    order = await visible_order(world.services, world.agent, ORDER_BOB)
    assert order.id == ORDER_BOB
    with pytest.raises(NotFound):
        await visible_order(world.services, world.agent, "ord-nope")


# -- sessions -------------------------------------------------------------------------------------


async def test_login_and_authenticate(world: World) -> None:
    s = world.services
    tokens = await login(s, "  Alice@Example.com ", PASSWORD, client="1.2.3.4")
    assert tokens.user.id == ALICE_ID
    assert tokens.refresh_expires_at == NOW + timedelta(days=14)
    principal = await authenticate(s, tokens.access.token)
    assert principal.user_id == ALICE_ID and principal.role is Role.CUSTOMER
    stored = list(world.store.refresh_tokens.values())
    assert len(stored) == 1 and stored[0].token_hash != tokens.refresh_token  # only the hash


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("alice@example.com", "wrong"),
        ("nobody@example.com", PASSWORD),
        ("alice@example.com", ""),
        ("alice@example.com\x00", PASSWORD),
        ("alice\ud800@example.com", PASSWORD),
    ],
)
async def test_login_refused(world: World, email: str, password: str) -> None:
    with pytest.raises(InvalidCredentials):
        await login(world.services, email, password, client="c")
    assert world.store.refresh_tokens == {}


async def test_inactive_user_cannot_log_in(world: World) -> None:
    world.store.users[ALICE_ID].active = False
    with pytest.raises(InvalidCredentials):
        await login(world.services, "alice@example.com", PASSWORD, client="c")


async def test_overlong_password_is_refused_cheaply(world: World) -> None:
    with pytest.raises(InvalidCredentials):
        await login(world.services, "alice@example.com", "x" * 1025, client="c")


async def test_login_attempts_are_rate_limited(world: World) -> None:
    s = world.services
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            await login(s, "alice@example.com", "wrong", client="c")
    with pytest.raises(RateLimited) as info:
        await login(s, "alice@example.com", PASSWORD, client="other")
    assert info.value.retry_after_seconds > 0
    world.clock.advance(seconds=61)
    assert (await login(s, "alice@example.com", PASSWORD, client="c")).user.id == ALICE_ID


async def test_refresh_rotates_the_token(world: World) -> None:
    s = world.services
    first = await login(s, "alice@example.com", PASSWORD, client="c")
    world.clock.advance(minutes=10)
    second = await refresh_session(s, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access.token != first.access.token
    assert second.refresh_expires_at == world.clock.now() + timedelta(days=14)
    third = await refresh_session(s, second.refresh_token)
    assert (await authenticate(s, third.access.token)).user_id == ALICE_ID
    families = {t.family_id for t in world.store.refresh_tokens.values()}
    assert len(families) == 1


async def test_reused_refresh_token_revokes_the_whole_family(world: World) -> None:
    s = world.services
    first = await login(s, "alice@example.com", PASSWORD, client="c")
    second = await refresh_session(s, first.refresh_token)
    other_session = await login(s, "alice@example.com", PASSWORD, client="c")
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(s, first.refresh_token)  # reuse: someone holds a copy
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(s, second.refresh_token)  # the thief's rotation is dead too
    with pytest.raises(InvalidAccessToken):
        await authenticate(s, second.access.token)
    # Other sessions of the same user are untouched.
    assert (await authenticate(s, other_session.access.token)).user_id == ALICE_ID
    assert (await refresh_session(s, other_session.refresh_token)).user.id == ALICE_ID


async def test_concurrent_refresh_with_one_token_succeeds_once(world: World) -> None:
    s = world.services
    first = await login(s, "alice@example.com", PASSWORD, client="c")
    results = await asyncio.gather(
        refresh_session(s, first.refresh_token),
        refresh_session(s, first.refresh_token),
        return_exceptions=True,
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert sum(1 for r in results if isinstance(r, InvalidRefreshToken)) == 1


async def test_expired_refresh_token(world: World) -> None:
    s = world.services
    first = await login(s, "alice@example.com", PASSWORD, client="c")
    world.clock.advance(days=14)
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(s, first.refresh_token)


async def test_unknown_refresh_token(world: World) -> None:
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(world.services, "made-up")
    with pytest.raises(InvalidRefreshToken):
        await logout(world.services, "made-up")


async def test_logout_ends_the_session_at_once(world: World) -> None:
    s = world.services
    tokens = await login(s, "alice@example.com", PASSWORD, client="c")
    rotated = await refresh_session(s, tokens.refresh_token)
    await logout(s, rotated.refresh_token)
    with pytest.raises(InvalidAccessToken):
        await authenticate(s, rotated.access.token)
    with pytest.raises(InvalidAccessToken):
        await authenticate(s, tokens.access.token)
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(s, rotated.refresh_token)
    with pytest.raises(InvalidRefreshToken):
        await logout(s, rotated.refresh_token)


async def test_deactivated_user_cannot_refresh(world: World) -> None:
    s = world.services
    tokens = await login(s, "agent@example.com", PASSWORD, client="c")
    world.store.users[AGENT_ID].active = False
    with pytest.raises(InvalidRefreshToken):
        await refresh_session(s, tokens.refresh_token)


async def test_expired_access_token(world: World) -> None:
    s = world.services
    tokens = await login(s, "admin@example.com", PASSWORD, client="c")
    assert (await authenticate(s, tokens.access.token)).role is Role.ADMIN
    world.clock.advance(minutes=15)
    with pytest.raises(InvalidAccessToken):
        await authenticate(s, tokens.access.token)


async def test_policy_settings_are_used(world: World) -> None:
    w = make_world(refund_policy=RefundPolicy(auto_approve_max_minor=0, requests_per_day=1))
    case = await open_for(w, w.alice, ORDER_SMALL)
    refund = await ask(w, w.alice, case, 100)
    assert refund.status is RefundStatus.REQUESTED
    await cancel_refund(w.services, w.alice, refund.id)
    with pytest.raises(RefundNotAllowed) as info:
        await ask(w, w.alice, case, 100)
    assert denial_of(info) is RefundDenial.TOO_MANY_REQUESTS
