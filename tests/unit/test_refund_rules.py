"""The refund policy (eligibility, amounts, approval) and the Refund status machine."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from domain.errors import (
    ApprovalLimitExceeded,
    Forbidden,
    InvalidTransition,
    RefundDenial,
    ValidationFailed,
)
from domain.events import CaseEventType
from domain.money import Money
from domain.orders import Order, OrderStatus
from domain.refunds import (
    NOTE_MAX,
    PricedRequest,
    Refund,
    RefundApproval,
    RefundLine,
    RefundPolicy,
    RefundReason,
    RefundRequest,
    RefundStatus,
    approval_for,
    auto_approval_applies,
    eligibility_denial,
    held_amount,
    not_received_claimable_from,
    price_request,
    refundable_remainder,
    refunded_amount,
    refunded_quantities,
    request_denial,
    shipping_refunded,
    window_ends_at,
)
from domain.users import Principal, Role
from tests.unit.builders import (
    NOW,
    ORDER_120,
    ORDER_BOB,
    ORDER_LOST,
    ORDER_OLD,
    ORDER_SHIPPED,
    ORDER_SMALL,
    demo_orders,
    usd,
)

POLICY = RefundPolicy()
ORDERS = {order.id: order for order in demo_orders(NOW)}
O120 = ORDERS[ORDER_120]
LINE_40, LINE_75 = O120.lines[0].id, O120.lines[1].id
CUSTOMER = Principal(user_id="user-alice", role=Role.CUSTOMER, session_id="s1")
AGENT = Principal(user_id="user-agent", role=Role.AGENT, session_id="s2")
ADMIN = Principal(user_id="user-admin", role=Role.ADMIN, session_id="s3")
HOLDING = {
    RefundStatus.REQUESTED,
    RefundStatus.APPROVED,
    RefundStatus.PROCESSING,
    RefundStatus.SUCCEEDED,
}
NOT_HOLDING = set(RefundStatus) - HOLDING
SECOND = timedelta(seconds=1)


def refund(
    amount: int,
    status: RefundStatus = RefundStatus.SUCCEEDED,
    *,
    order: Order = O120,
    lines: tuple[RefundLine, ...] = (),
    include_shipping: bool = False,
) -> Refund:
    return Refund(
        id=f"r-{amount}-{status}",
        case_id="case-1",
        order_id=order.id,
        customer_id=CUSTOMER.user_id,
        amount=Money(amount, order.currency),
        reason=RefundReason.DAMAGED,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        requested_by_id=CUSTOMER.user_id,
        lines=lines,
        include_shipping=include_shipping,
    )


def deny(
    request: RefundRequest,
    existing: list[Refund] | None = None,
    *,
    order: Order = O120,
    now: datetime = NOW,
    policy: RefundPolicy = POLICY,
) -> RefundDenial | None:
    priced = price_request(request, order)
    return request_denial(order, request, priced, existing or [], now, policy)


def amount(value: int, reason: RefundReason = RefundReason.DAMAGED) -> RefundRequest:
    return RefundRequest(reason=reason, amount=value)


# -- window ---------------------------------------------------------------------------------------


def test_window_is_30_days_from_delivery_inclusive() -> None:
    assert O120.delivered_at is not None
    ends = O120.delivered_at + timedelta(days=30)
    assert window_ends_at(O120, POLICY) == ends
    assert eligibility_denial(O120, RefundReason.DAMAGED, ends, POLICY) is None
    assert (
        eligibility_denial(O120, RefundReason.DAMAGED, ends + SECOND, POLICY)
        is RefundDenial.OUTSIDE_REFUND_WINDOW
    )


def test_window_is_a_setting() -> None:
    short = RefundPolicy(window=timedelta(days=2))
    assert (
        eligibility_denial(O120, RefundReason.DAMAGED, NOW, short)
        is RefundDenial.OUTSIDE_REFUND_WINDOW
    )


def test_order_delivered_45_days_ago_is_outside_the_window() -> None:
    for reason in RefundReason:
        assert (
            eligibility_denial(ORDERS[ORDER_OLD], reason, NOW, POLICY)
            is RefundDenial.OUTSIDE_REFUND_WINDOW
        )


@pytest.mark.parametrize("reason", [r for r in RefundReason if r is not RefundReason.NOT_RECEIVED])
def test_undelivered_orders_are_refused_except_not_received(reason: RefundReason) -> None:
    assert (
        eligibility_denial(ORDERS[ORDER_LOST], reason, NOW, POLICY)
        is RefundDenial.ORDER_NOT_DELIVERED
    )
    assert (
        eligibility_denial(ORDERS[ORDER_SHIPPED], reason, NOW, POLICY)
        is RefundDenial.ORDER_NOT_DELIVERED
    )


def test_not_received_grace_starts_after_the_promised_day() -> None:
    lost = ORDERS[ORDER_LOST]  # promised 10 days ago
    assert lost.promised_delivery_date is not None
    claimable = not_received_claimable_from(lost, POLICY)
    promised_midnight = datetime.combine(
        lost.promised_delivery_date, datetime.min.time(), NOW.tzinfo
    )
    assert claimable == promised_midnight + timedelta(days=1) + timedelta(days=7)
    reason = RefundReason.NOT_RECEIVED
    assert eligibility_denial(lost, reason, NOW, POLICY) is None
    assert eligibility_denial(lost, reason, claimable, POLICY) is None
    assert (
        eligibility_denial(lost, reason, claimable - SECOND, POLICY)
        is RefundDenial.ORDER_NOT_DELIVERED
    )


def test_not_received_before_the_promised_date_is_refused() -> None:
    shipped = ORDERS[ORDER_SHIPPED]  # promised in 2 days
    assert (
        eligibility_denial(shipped, RefundReason.NOT_RECEIVED, NOW, POLICY)
        is RefundDenial.ORDER_NOT_DELIVERED
    )


def test_not_received_grace_is_a_setting() -> None:
    lost = ORDERS[ORDER_LOST]
    patient = RefundPolicy(not_received_grace=timedelta(days=30))
    assert (
        eligibility_denial(lost, RefundReason.NOT_RECEIVED, NOW, patient)
        is RefundDenial.ORDER_NOT_DELIVERED
    )


def test_not_received_needs_a_promised_date() -> None:
    no_promise = dataclasses.replace(ORDERS[ORDER_LOST], promised_delivery_date=None)
    assert not_received_claimable_from(no_promise, POLICY) is None
    assert (
        eligibility_denial(no_promise, RefundReason.NOT_RECEIVED, NOW + timedelta(days=365), POLICY)
        is RefundDenial.ORDER_NOT_DELIVERED
    )


def test_placed_order_follows_the_same_rule() -> None:
    placed = dataclasses.replace(ORDERS[ORDER_LOST], status=OrderStatus.PLACED)
    assert eligibility_denial(placed, RefundReason.NOT_RECEIVED, NOW, POLICY) is None
    assert (
        eligibility_denial(placed, RefundReason.DAMAGED, NOW, POLICY)
        is RefundDenial.ORDER_NOT_DELIVERED
    )


def test_quote_without_a_reason_counts_not_received() -> None:
    assert eligibility_denial(ORDERS[ORDER_LOST], None, NOW, POLICY) is None
    assert (
        eligibility_denial(ORDERS[ORDER_SHIPPED], None, NOW, POLICY)
        is RefundDenial.ORDER_NOT_DELIVERED
    )


@pytest.mark.parametrize("reason", [*RefundReason, None])
def test_cancelled_orders_are_refunded_by_the_order_system(reason: RefundReason | None) -> None:
    for order_id in (ORDER_120, ORDER_LOST):
        cancelled = dataclasses.replace(ORDERS[order_id], status=OrderStatus.CANCELLED)
        assert eligibility_denial(cancelled, reason, NOW, POLICY) is RefundDenial.ORDER_CANCELLED


def test_delivered_order_may_still_be_reported_not_received_within_the_window() -> None:
    assert eligibility_denial(O120, RefundReason.NOT_RECEIVED, NOW, POLICY) is None


def test_denial_is_checked_before_anything_else() -> None:
    old = ORDERS[ORDER_OLD]
    pending = refund(100, RefundStatus.REQUESTED, order=old)
    assert deny(amount(10**6), [pending], order=old) is RefundDenial.OUTSIDE_REFUND_WINDOW


# -- pricing a request ----------------------------------------------------------------------------


def test_amount_request() -> None:
    priced = price_request(amount(4000), O120)
    assert priced == PricedRequest(usd(4000), (), False, None)


def test_lines_request_is_priced_from_the_order() -> None:
    request = RefundRequest(
        reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 1), RefundLine(LINE_75, 1))
    )
    priced = price_request(request, O120)
    assert priced.amount == usd(11500)
    assert priced.lines == request.lines


def test_quantities_multiply_the_unit_price() -> None:
    notebooks = ORDERS[ORDER_SHIPPED]  # 3 x 12.00
    request = RefundRequest(
        reason=RefundReason.DAMAGED, lines=(RefundLine(notebooks.lines[0].id, 2),)
    )
    assert price_request(request, notebooks).amount == usd(2400)


def test_lines_plus_shipping_and_shipping_only() -> None:
    with_shipping = RefundRequest(
        reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 1),), include_shipping=True
    )
    assert price_request(with_shipping, O120).amount == usd(4500)
    only_shipping = RefundRequest(reason=RefundReason.NOT_RECEIVED, include_shipping=True)
    priced = price_request(only_shipping, O120)
    assert priced.amount == usd(500) and priced.include_shipping


def test_amount_plus_shipping() -> None:
    request = RefundRequest(reason=RefundReason.DAMAGED, amount=1000, include_shipping=True)
    assert price_request(request, O120).amount == usd(1500)


def test_shipping_only_on_an_order_without_shipping_is_zero() -> None:
    request = RefundRequest(reason=RefundReason.DAMAGED, include_shipping=True)
    with pytest.raises(ValidationFailed) as info:
        price_request(request, ORDERS[ORDER_SMALL])
    assert info.value.fields[0].field == "amount"


@pytest.mark.parametrize(
    ("request_", "fields"),
    [
        (RefundRequest(reason=RefundReason.DAMAGED), {"amount"}),
        (RefundRequest(reason=RefundReason.DAMAGED, amount=0), {"amount"}),
        (RefundRequest(reason=RefundReason.DAMAGED, amount=-100), {"amount"}),
        (
            RefundRequest(reason=RefundReason.DAMAGED, amount=100, lines=(RefundLine(LINE_40, 1),)),
            {"lines"},
        ),
        (
            RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine("nope", 1),)),
            {"lines[0].lineId"},
        ),
        (
            RefundRequest(
                reason=RefundReason.DAMAGED, lines=(RefundLine(ORDERS[ORDER_BOB].lines[0].id, 1),)
            ),
            {"lines[0].lineId"},
        ),
        (
            RefundRequest(
                reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 1), RefundLine(LINE_40, 1))
            ),
            {"lines[1].lineId"},
        ),
        (
            RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 0),)),
            {"lines[0].quantity"},
        ),
        (
            RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, -1),)),
            {"lines[0].quantity"},
        ),
        (RefundRequest(reason=RefundReason.OTHER, amount=100), {"note"}),
        (RefundRequest(reason=RefundReason.OTHER, amount=100, note="   "), {"note"}),
        (
            RefundRequest(reason=RefundReason.DAMAGED, amount=100, note="x" * (NOTE_MAX + 1)),
            {"note"},
        ),
        (RefundRequest(reason=RefundReason.DAMAGED, amount=100, note="bad\x00note"), {"note"}),
        (RefundRequest(reason=RefundReason.OTHER, amount=-1), {"amount", "note"}),
    ],
)
def test_request_shape_is_validated(request_: RefundRequest, fields: set[str]) -> None:
    with pytest.raises(ValidationFailed) as info:
        price_request(request_, O120)
    assert {f.field for f in info.value.fields} == fields


def test_other_with_a_note_is_fine_and_note_is_trimmed() -> None:
    priced = price_request(
        RefundRequest(reason=RefundReason.OTHER, amount=100, note="  Gift, not wanted \n"), O120
    )
    assert priced.note == "Gift, not wanted"
    blank = price_request(RefundRequest(reason=RefundReason.DAMAGED, amount=100, note="  "), O120)
    assert blank.note is None


# -- amounts against what is left -----------------------------------------------------------------


@pytest.mark.parametrize("status", list(RefundStatus))
def test_which_refunds_hold_money(status: RefundStatus) -> None:
    assert status.holds_money is (status in HOLDING)
    assert held_amount(O120, [refund(1000, status)]) == usd(1000 if status in HOLDING else 0)


def test_refundable_remainder() -> None:
    assert refundable_remainder(O120, []) == usd(12000)
    existing = [refund(4000, s) for s in RefundStatus]
    # REQUESTED, APPROVED, PROCESSING, SUCCEEDED hold 4 x 40.00 -> nothing is left (never negative)
    assert refundable_remainder(O120, existing) == usd(0)
    assert refundable_remainder(O120, [refund(4000), refund(500, RefundStatus.FAILED)]) == usd(8000)


def test_refunded_amount_counts_only_what_was_paid() -> None:
    assert refunded_amount(O120, []) == usd(0)
    existing = [refund(1000 * (i + 1), s) for i, s in enumerate(RefundStatus)]
    paid = sum(1000 * (i + 1) for i, s in enumerate(RefundStatus) if s is RefundStatus.SUCCEEDED)
    assert refunded_amount(O120, existing) == usd(paid)


def test_amount_up_to_the_remainder_is_fine_one_cent_more_is_not() -> None:
    existing = [refund(4000, RefundStatus.SUCCEEDED), refund(3000, RefundStatus.APPROVED)]
    assert deny(amount(5000), existing) is None
    assert deny(amount(5001), existing) is RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT
    assert deny(amount(12000)) is None
    assert deny(amount(12001)) is RefundDenial.EXCEEDS_REFUNDABLE_AMOUNT


@pytest.mark.parametrize("status", sorted(NOT_HOLDING))
def test_refunds_that_hold_no_money_free_the_amount(status: RefundStatus) -> None:
    assert deny(amount(12000), [refund(12000, status)]) is None


def test_line_quantity_cannot_exceed_what_was_ordered() -> None:
    two = RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 2),))
    assert deny(two) is RefundDenial.LINE_QUANTITY_EXCEEDED


def test_line_quantity_counts_earlier_refunds_that_hold_money() -> None:
    one = RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 1),))
    earlier_lines = (RefundLine(LINE_40, 1),)
    for status in HOLDING - {RefundStatus.REQUESTED}:
        earlier = refund(4000, status, lines=earlier_lines)
        assert deny(one, [earlier]) is RefundDenial.LINE_QUANTITY_EXCEEDED
    for status in NOT_HOLDING:
        earlier = refund(4000, status, lines=earlier_lines)
        assert deny(one, [earlier]) is None
    other_line = refund(7500, RefundStatus.SUCCEEDED, lines=(RefundLine(LINE_75, 1),))
    assert deny(one, [other_line]) is None
    assert refunded_quantities(
        [other_line, refund(1, RefundStatus.FAILED, lines=earlier_lines)]
    ) == {LINE_75: 1}


def test_partial_quantities_add_up() -> None:
    notebooks = ORDERS[ORDER_SHIPPED]
    line = notebooks.lines[0].id  # 3 ordered
    lost = dataclasses.replace(notebooks, status=OrderStatus.DELIVERED, delivered_at=NOW)
    earlier = refund(2400, RefundStatus.SUCCEEDED, order=lost, lines=(RefundLine(line, 2),))
    ok = RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine(line, 1),))
    too_many = RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine(line, 2),))
    assert deny(ok, [earlier], order=lost) is None
    assert deny(too_many, [earlier], order=lost) is RefundDenial.LINE_QUANTITY_EXCEEDED


def test_shipping_is_refundable_once() -> None:
    shipping = RefundRequest(reason=RefundReason.DAMAGED, include_shipping=True)
    for status in HOLDING - {RefundStatus.REQUESTED}:
        earlier = refund(500, status, include_shipping=True)
        assert shipping_refunded([earlier])
        assert deny(shipping, [earlier]) is RefundDenial.SHIPPING_ALREADY_REFUNDED
    for status in NOT_HOLDING:
        earlier = refund(500, status, include_shipping=True)
        assert not shipping_refunded([earlier])
        assert deny(shipping, [earlier]) is None


def test_one_pending_request_per_order() -> None:
    pending = refund(100, RefundStatus.REQUESTED)
    assert deny(amount(100), [pending]) is RefundDenial.REFUND_ALREADY_PENDING
    for status in set(RefundStatus) - {RefundStatus.REQUESTED}:
        assert deny(amount(100), [refund(100, status)]) is None


def test_pending_is_reported_before_amount_problems() -> None:
    pending = refund(12000, RefundStatus.REQUESTED)
    assert deny(amount(5000), [pending]) is RefundDenial.REFUND_ALREADY_PENDING


def test_denials_come_in_a_stable_order() -> None:
    earlier = refund(
        11500, RefundStatus.SUCCEEDED, lines=(RefundLine(LINE_40, 1),), include_shipping=True
    )
    everything = RefundRequest(
        reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 1),), include_shipping=True
    )
    assert deny(everything, [earlier]) is RefundDenial.SHIPPING_ALREADY_REFUNDED
    lines_only = RefundRequest(reason=RefundReason.DAMAGED, lines=(RefundLine(LINE_40, 1),))
    assert deny(lines_only, [earlier]) is RefundDenial.LINE_QUANTITY_EXCEEDED


# -- approval -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount_minor", "recent", "auto"),
    [
        (2500, 0, True),
        (2500, 1, True),
        (1, 0, True),
        (2501, 0, False),
        (2500, 2, False),
        (100, 5, False),
        (1999, 1, True),
    ],
)
def test_auto_approval_thresholds(amount_minor: int, recent: int, auto: bool) -> None:
    assert auto_approval_applies(usd(amount_minor), recent, POLICY) is auto


def test_auto_approval_thresholds_are_settings() -> None:
    strict = RefundPolicy(auto_approve_max_minor=0)
    assert not auto_approval_applies(usd(1), 0, strict)
    generous = RefundPolicy(auto_approve_max_recent_refunds=10)
    assert auto_approval_applies(usd(100), 9, generous)


def test_agents_approve_up_to_500() -> None:
    assert approval_for(AGENT, usd(50000), POLICY) is RefundApproval.AGENT
    with pytest.raises(ApprovalLimitExceeded) as info:
        approval_for(AGENT, usd(50001), POLICY)
    assert "USD 500.00" in info.value.message


def test_admins_approve_any_amount() -> None:
    assert approval_for(ADMIN, usd(50001), POLICY) is RefundApproval.ADMIN
    assert approval_for(ADMIN, usd(10**9), POLICY) is RefundApproval.ADMIN


def test_customers_never_approve() -> None:
    with pytest.raises(Forbidden):
        approval_for(CUSTOMER, usd(1), POLICY)


def test_agent_limit_is_a_setting() -> None:
    with pytest.raises(ApprovalLimitExceeded):
        approval_for(AGENT, usd(101), RefundPolicy(agent_limit_minor=100))


# -- the Refund aggregate -------------------------------------------------------------------------


def status_of(r: Refund) -> RefundStatus:
    return r.status  # (a fresh read for the type checker, which narrows attributes)


def requested() -> Refund:
    request = amount(4000)
    return Refund.request(
        case_id="case-1",
        order=O120,
        customer_id=CUSTOMER.user_id,
        requested_by=CUSTOMER,
        request=request,
        priced=price_request(request, O120),
        now=NOW,
    )


def test_request_creates_a_requested_refund_with_an_event() -> None:
    r = requested()
    assert r.status is RefundStatus.REQUESTED
    assert r.amount == usd(4000) and r.order_id == O120.id and r.case_id == "case-1"
    assert r.approval is None and r.decided_at is None
    [event] = r.pull_events()
    assert event.type is CaseEventType.REFUND_REQUESTED
    assert event.actor_id == CUSTOMER.user_id and event.refund_id == r.id
    assert event.case_id == "case-1" and event.after == RefundStatus.REQUESTED
    assert "USD 40.00" in event.summary


def test_approve_by_an_agent() -> None:
    r = requested()
    r.pull_events()
    later = NOW + timedelta(hours=1)
    r.approve(approval=RefundApproval.AGENT, decided_by_id=AGENT.user_id, note=" ok ", now=later)
    assert r.status is RefundStatus.APPROVED
    assert r.approval is RefundApproval.AGENT
    assert (r.decided_by_id, r.decision_note, r.decided_at) == (AGENT.user_id, "ok", later)
    [event] = r.pull_events()
    assert event.type is CaseEventType.REFUND_APPROVED and event.actor_id == AGENT.user_id
    assert (event.before, event.after) == (RefundStatus.REQUESTED, RefundStatus.APPROVED)


def test_approve_by_the_policy_is_recorded_as_such() -> None:
    r = requested()
    r.pull_events()
    r.approve(approval=RefundApproval.AUTO_POLICY, decided_by_id=None, note="policy", now=NOW)
    assert r.approval is RefundApproval.AUTO_POLICY and r.decided_by_id is None
    [event] = r.pull_events()
    assert event.actor_id is None
    assert "automatically by the refund policy" in event.summary


def test_reject_needs_staff_and_a_note() -> None:
    r = requested()
    with pytest.raises(Forbidden):
        r.reject(decided_by=CUSTOMER, note="no", now=NOW)
    with pytest.raises(ValidationFailed):
        r.reject(decided_by=AGENT, note="   ", now=NOW)
    assert r.status == RefundStatus.REQUESTED
    r.pull_events()
    r.reject(decided_by=AGENT, note="Outside policy", now=NOW)
    assert status_of(r) is RefundStatus.REJECTED and r.decision_note == "Outside policy"
    [event] = r.pull_events()
    assert event.type is CaseEventType.REFUND_REJECTED


def test_cancel() -> None:
    r = requested()
    r.pull_events()
    r.cancel(by=CUSTOMER, now=NOW)
    assert r.status is RefundStatus.CANCELLED
    [event] = r.pull_events()
    assert event.type is CaseEventType.REFUND_CANCELLED and event.actor_id == CUSTOMER.user_id


def _approve(r: Refund) -> None:
    r.approve(approval=RefundApproval.AGENT, decided_by_id=AGENT.user_id, note=None, now=NOW)


def _reject(r: Refund) -> None:
    r.reject(decided_by=AGENT, note="no", now=NOW)


def _cancel(r: Refund) -> None:
    r.cancel(by=CUSTOMER, now=NOW)


MOVES = {
    RefundStatus.APPROVED: _approve,
    RefundStatus.REJECTED: _reject,
    RefundStatus.CANCELLED: _cancel,
}


@pytest.mark.parametrize("target", list(MOVES))
@pytest.mark.parametrize("source", list(RefundStatus))
def test_refund_status_machine(source: RefundStatus, target: RefundStatus) -> None:
    """REQUESTED -> APPROVED | REJECTED | CANCELLED; every other decision is illegal."""
    r = refund(4000, source)
    before = dataclasses.replace(r, events=[])
    if source is RefundStatus.REQUESTED:
        MOVES[target](r)
        assert r.status is target
        assert len(r.pull_events()) == 1
    else:
        with pytest.raises(InvalidTransition) as info:
            MOVES[target](r)
        assert (info.value.from_state, info.value.to_state) == (source, target)
        assert str(source) in info.value.message and str(target) in info.value.message
        assert r == before
        assert r.pull_events() == []
