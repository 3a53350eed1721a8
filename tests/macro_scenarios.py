"""Macros and ratings through the real use cases, on any storage: the unit tests run these over
the memory adapters, tests/integration/sql over SQLite and PostgreSQL, so every backend keeps
the same promises (issue 12: "a macro with every placeholder renders from real case data",
"applyMacro with a status change is atomic", "a rating once, only by that case's customer,
only after resolution, only within the window").

Each scenario makes its own users and orders (unique ids): the SQL databases are shared."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from adapters.auth.refresh_tokens import hash_refresh_token, new_refresh_token
from adapters.clock import FixedClock
from adapters.memory import FakeOrderSystem, InMemoryEventPublisher
from adapters.rate_limit import InProcessRateLimiter
from domain.cases import CaseCategory, CaseRules, CaseStatus, SupportCase
from domain.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from domain.events import CaseEventType
from domain.macros import PLACEHOLDERS
from domain.orders import OrderStatus
from domain.ports import UnitOfWorkFactory
from domain.queries import ReadStore
from domain.refunds import RefundReason, RefundRequest
from domain.satisfaction import RatingDenial, RatingNotAllowed
from domain.usecases.apply_macro import apply_macro, preview_macro
from domain.usecases.change_case_status import change_case_status
from domain.usecases.manage_macros import (
    create_macro,
    delete_macro,
    list_macros,
    update_macro,
)
from domain.usecases.open_case import OpenCase, open_case
from domain.usecases.rate_case import rate_case
from domain.usecases.request_refund import request_refund
from domain.usecases.satisfaction_report import ratings_of_cases, satisfaction_report
from domain.usecases.services import Services
from domain.users import Principal, Role, User
from tests.unit.builders import FakeAccessTokens, FakePasswordHasher, make_order

NOW = datetime(2031, 4, 2, 10, 0, 0, tzinfo=UTC)
EVERY_PLACEHOLDER = "\n".join(f"{p.name}={p.token}" for p in PLACEHOLDERS)


@dataclass
class People:
    customer: Principal
    other_customer: Principal
    agent: Principal
    admin: Principal
    customer_user: User
    agent_user: User
    order_id: str


@dataclass
class Bench:
    services: Services
    clock: FixedClock
    orders: FakeOrderSystem
    publisher: InMemoryEventPublisher
    people: People

    async def messages_of(self, case_id: str) -> list[str]:
        page = await self.services.reads.list_messages(
            case_id, first=100, after=None, include_internal=True
        )
        return [m.body for m in page.items]

    async def events_of(self, case_id: str) -> list[CaseEventType]:
        page = await self.services.reads.list_events(
            case_id, first=100, after=None, include_internal=True
        )
        return [e.type for e in page.items]


async def make_bench(uow: UnitOfWorkFactory, reads: ReadStore) -> Bench:
    clock = FixedClock(NOW)
    tag = uuid.uuid4().hex[:8]
    hasher = FakePasswordHasher()

    def user(role: Role, name: str, ref: str | None = None) -> User:
        user_id = str(uuid.uuid4())
        return User(
            id=user_id,
            email=f"{role.lower()}-{tag}-{user_id[:6]}@example.com",
            name=name,
            role=role,
            password_hash=hasher.hash("demo-password"),
            created_at=NOW - timedelta(days=30),
            external_customer_id=ref,
        )

    customer = user(Role.CUSTOMER, f"Carla {tag}", f"cust-{tag}")
    other = user(Role.CUSTOMER, f"Olga {tag}", f"cust-o-{tag}")
    agent = user(Role.AGENT, f"Agnes {tag}")
    admin = user(Role.ADMIN, f"Ada {tag}")
    async with uow() as unit:
        for u in (customer, other, agent, admin):
            await unit.users.add(u)
        await unit.commit()
    order_id = f"ord-{tag}"
    orders = FakeOrderSystem(
        [
            make_order(
                order_id,
                customer=f"cust-{tag}",
                status=OrderStatus.DELIVERED,
                placed_at=NOW - timedelta(days=6),
                delivered_at=NOW - timedelta(days=3),
                lines=[("Lamp", 1, 7500), ("Mug", 1, 4000)],
                shipping=500,
            )
        ],
        clock=clock,
    )
    publisher = InMemoryEventPublisher()
    services = Services(
        uow=uow,
        reads=reads,
        clock=clock,
        orders=orders,
        publisher=publisher,
        passwords=hasher,
        access_tokens=FakeAccessTokens(clock),
        rate_limiter=InProcessRateLimiter(time_func=lambda: clock.now().timestamp()),
        new_refresh_token=new_refresh_token,
        hash_refresh_token=hash_refresh_token,
        case_rules=CaseRules(rating_window=timedelta(days=7)),
    )

    def principal(u: User) -> Principal:
        return Principal(user_id=u.id, role=u.role, session_id=f"s-{u.id}")

    people = People(
        customer=principal(customer),
        other_customer=principal(other),
        agent=principal(agent),
        admin=principal(admin),
        customer_user=customer,
        agent_user=agent,
        order_id=order_id,
    )
    return Bench(services, clock, orders, publisher, people)


async def open_for(b: Bench, *, with_order: bool = True) -> SupportCase:
    return await open_case(
        b.services,
        b.people.customer,
        OpenCase(
            subject="Lamp arrived broken",
            description="The glass shade was shattered.",
            category=CaseCategory.PRODUCT_ISSUE,
            order_id=b.people.order_id if with_order else None,
        ),
    )


async def resolved_case(b: Bench) -> SupportCase:
    case = await open_for(b)
    return await change_case_status(b.services, b.people.agent, case.id, CaseStatus.RESOLVED)


# -- macros -------------------------------------------------------------------------------------


async def every_placeholder_renders_from_the_case(b: Bench) -> None:
    p = b.people
    case = await open_for(b)
    # A pending refund of 30.00: the refundable amount is what is left of 120.00.
    await request_refund(
        b.services, p.customer, case.id, RefundRequest(reason=RefundReason.DAMAGED, amount=3000)
    )
    macro = await create_macro(b.services, p.agent, "Everything", EVERY_PLACEHOLDER)
    message, after = await apply_macro(b.services, p.admin, case.id, macro.id)
    admin_name = (await b.services.reads.users_by_ids([p.admin.user_id]))[p.admin.user_id].name
    expected = {
        "customer_name": p.customer_user.name,
        "customer_email": p.customer_user.email,
        "case_number": after.display_number,
        "case_subject": "Lamp arrived broken",
        "agent_name": admin_name,
        "order_number": f"#{p.order_id}",
        "order_total": "USD 120.00",
        "refundable_amount": "USD 90.00",
    }
    assert set(expected) == {ph.name for ph in PLACEHOLDERS}
    assert message.body == "\n".join(f"{k}={v}" for k, v in expected.items())
    assert not message.internal and message.author_id == p.admin.user_id
    assert after.display_number.startswith("CS-") and "??" not in after.display_number
    # The preview says exactly what applying posts.
    preview = await preview_macro(b.services, p.admin, case.id, macro_id=macro.id)
    assert preview.body == message.body
    assert [ph.name for ph in preview.placeholders] == list(expected)
    assert (await b.messages_of(case.id))[-1] == message.body


async def unknown_placeholders_are_refused_at_save(b: Bench) -> None:
    p = b.people
    for body in ("Hi {{customer_nam}}", "Hi {{ customer_name }} {{refund_id}}", "Hi {{oops"):
        with pytest.raises(ValidationFailed) as info:
            await create_macro(b.services, p.agent, f"Bad {uuid.uuid4().hex[:6]}", body)
        assert {f.field for f in info.value.fields} == {"body"}, info.value.fields
    assert "{{customer_nam}}" in str(
        (await _refusal(create_macro(b.services, p.agent, "X", "{{customer_nam}}"))).fields
    )
    good = await create_macro(b.services, p.agent, "Good", "Hello {{ customer_name }}")
    refused = await _refusal(update_macro(b.services, p.agent, good.id, body="{{nope}}"))
    assert refused.fields[0].field == "body"
    # Neither the refused macros nor the refused change were stored.
    page = await list_macros(b.services, p.agent, first=100)
    mine = [m for m in page.items if m.id == good.id]
    assert [m.body for m in mine] == ["Hello {{ customer_name }}"]
    assert not [m for m in page.items if m.body.startswith(("Hi {{", "{{customer_nam"))]
    # Also in a preview of an unsaved body.
    case = await open_for(b)
    with pytest.raises(ValidationFailed):
        await preview_macro(b.services, p.agent, case.id, body="{{unknown}}")


async def _refusal(work: Awaitable[object]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        await work
    return info.value


async def order_placeholders_need_an_order(b: Bench) -> None:
    p = b.people
    case = await open_for(b, with_order=False)
    macro = await create_macro(b.services, p.agent, "Refund", "You can get {{refundable_amount}}")
    before = await b.messages_of(case.id)
    refused = await _refusal(apply_macro(b.services, p.agent, case.id, macro.id))
    assert "{{refundable_amount}}" in refused.fields[0].message
    assert await b.messages_of(case.id) == before


async def applying_with_a_status_change_is_one_transaction(b: Bench) -> None:
    p = b.people
    case = await open_for(b)
    macro = await create_macro(b.services, p.agent, "Resolve", "Done, {{customer_name}}.")
    # OPEN -> WAITING_ON_CUSTOMER is not a legal move: nothing at all is posted.
    events_before = await b.events_of(case.id)
    messages_before = await b.messages_of(case.id)
    with pytest.raises(InvalidTransition):
        await apply_macro(
            b.services, p.agent, case.id, macro.id, status=CaseStatus.WAITING_ON_CUSTOMER
        )
    assert await b.messages_of(case.id) == messages_before
    assert await b.events_of(case.id) == events_before
    # A legal move: the reply and the status change commit together.
    published = len(b.publisher.events)
    message, after = await apply_macro(
        b.services, p.agent, case.id, macro.id, internal=True, status=CaseStatus.RESOLVED
    )
    assert after.status is CaseStatus.RESOLVED and message.internal
    stored = await b.services.reads.get_case(case.id)
    assert stored is not None and stored.status is CaseStatus.RESOLVED
    assert (await b.messages_of(case.id))[-1] == f"Done, {p.customer_user.name}."
    new_events = [e for e in b.publisher.events[published:] if e.case_id == case.id]
    assert [e.type for e in new_events] == [
        CaseEventType.MESSAGE_POSTED,
        CaseEventType.STATUS_CHANGED,
    ]
    # One transaction: both events got consecutive log positions in one batch.
    assert b.publisher.published[-1] == new_events
    # The status it is already in: no change, no error.
    _, again = await apply_macro(
        b.services, p.agent, case.id, macro.id, internal=True, status=CaseStatus.RESOLVED
    )
    assert again.status is CaseStatus.RESOLVED


async def applying_is_idempotent_with_a_key(b: Bench) -> None:
    p = b.people
    case = await open_for(b)
    macro = await create_macro(b.services, p.agent, "Hello", "Hello {{customer_name}}")
    key = f"apply-{uuid.uuid4().hex}"
    first, _ = await apply_macro(b.services, p.agent, case.id, macro.id, idempotency_key=key)
    second, _ = await apply_macro(b.services, p.agent, case.id, macro.id, idempotency_key=key)
    assert second.id == first.id
    assert (await b.messages_of(case.id)).count(f"Hello {p.customer_user.name}") == 1
    with pytest.raises(IdempotencyKeyReused):
        await apply_macro(
            b.services, p.agent, case.id, macro.id, internal=True, idempotency_key=key
        )


async def macros_are_for_staff_and_managed_by_them(b: Bench) -> None:
    p = b.people
    case = await open_for(b)
    with pytest.raises(Forbidden):
        await create_macro(b.services, p.customer, "Mine", "Hello")
    macro = await create_macro(b.services, p.agent, f"Z {uuid.uuid4().hex[:6]}", "Hello")
    with pytest.raises(Forbidden):
        await apply_macro(b.services, p.customer, case.id, macro.id)
    with pytest.raises(Forbidden):
        await preview_macro(b.services, p.customer, case.id, macro_id=macro.id)
    with pytest.raises(Forbidden):
        await list_macros(b.services, p.customer, first=10)
    changed = await update_macro(b.services, p.admin, macro.id, title="A renamed")
    assert changed.title == "A renamed" and changed.body == "Hello"
    assert changed.updated_by_id == p.admin.user_id and changed.created_by_id == p.agent.user_id
    assert await delete_macro(b.services, p.agent, macro.id) == macro.id
    with pytest.raises(NotFound):
        await delete_macro(b.services, p.agent, macro.id)
    with pytest.raises(NotFound):
        await apply_macro(b.services, p.agent, case.id, macro.id)


async def macros_page_by_title(b: Bench) -> None:
    p = b.people
    tag = uuid.uuid4().hex[:6]
    titles = [f"~{tag} {c}" for c in "dbca"]  # "~" sorts after the other tests' titles
    for title in titles:
        await create_macro(b.services, p.agent, title, "Hello")
    seen: list[str] = []
    after: str | None = None
    while True:
        page = await list_macros(b.services, p.agent, first=2, after=after)
        seen += [m.title for m in page.items if m.title.startswith(f"~{tag}")]
        if not page.has_next_page:
            break
        after = page.end_cursor
    assert seen == sorted(titles)
    with pytest.raises(ValidationFailed):
        await list_macros(b.services, p.agent, first=2, after="not-a-cursor")


# -- ratings ------------------------------------------------------------------------------------


async def _denial(work: Awaitable[object]) -> RatingDenial:
    with pytest.raises(RatingNotAllowed) as info:
        await work
    return info.value.denial


async def a_rating_is_given_once_by_the_customer_after_resolution(b: Bench) -> None:
    p = b.people
    case = await open_for(b)
    assert await _denial(rate_case(b.services, p.customer, case.id, 5, None)) is (
        RatingDenial.NOT_RESOLVED
    )
    await change_case_status(b.services, p.agent, case.id, CaseStatus.RESOLVED)
    with pytest.raises(NotFound):  # another customer's case does not exist for them
        await rate_case(b.services, p.other_customer, case.id, 1, None)
    with pytest.raises(Forbidden):
        await rate_case(b.services, p.agent, case.id, 5, None)
    for score in (0, 6):
        with pytest.raises(ValidationFailed):
            await rate_case(b.services, p.customer, case.id, score, None)
    with pytest.raises(ValidationFailed):
        await rate_case(b.services, p.customer, case.id, 4, "x" * 1001)
    published = len(b.publisher.events)
    rating, _ = await rate_case(b.services, p.customer, case.id, 4, "  Quick and kind.  ")
    assert (rating.score, rating.comment, rating.customer_id) == (
        4,
        "Quick and kind.",
        case.customer_id,
    )
    assert await _denial(rate_case(b.services, p.customer, case.id, 5, None)) is (
        RatingDenial.ALREADY_RATED
    )
    stored = await ratings_of_cases(b.services, [case.id])
    assert stored[case.id].score == 4 and stored[case.id].comment == "Quick and kind."
    # The rating is a public timeline entry and went out live.
    events = [e for e in b.publisher.events[published:] if e.case_id == case.id]
    assert [(e.type, e.after, e.internal) for e in events] == [
        (CaseEventType.CASE_RATED, "4", False)
    ]
    assert (await b.events_of(case.id))[-1] is CaseEventType.CASE_RATED


async def a_rating_is_only_possible_within_the_window(b: Bench) -> None:
    p = b.people
    late = await resolved_case(b)
    in_time = await resolved_case(b)
    b.clock.advance(days=7)  # exactly at the end of the window: still allowed
    await rate_case(b.services, p.customer, in_time.id, 3, None)
    b.clock.advance(seconds=1)
    assert await _denial(rate_case(b.services, p.customer, late.id, 5, None)) is (
        RatingDenial.WINDOW_CLOSED
    )
    # Closing the case does not extend (nor end) the window; reopening ends it.
    reopened = await resolved_case(b)
    await change_case_status(b.services, p.customer, reopened.id, CaseStatus.OPEN)
    assert await _denial(rate_case(b.services, p.customer, reopened.id, 5, None)) is (
        RatingDenial.NOT_RESOLVED
    )
    closed = await resolved_case(b)
    await change_case_status(b.services, p.agent, closed.id, CaseStatus.CLOSED)
    await rate_case(b.services, p.customer, closed.id, 2, None)


async def the_report_counts_per_agent_and_period(b: Bench) -> None:
    p = b.people
    from domain.usecases.assign_case import assign_case

    scores = [5, 4, 4]
    for score in scores:
        case = await open_for(b)
        await assign_case(b.services, p.agent, case.id, p.agent.user_id)
        await change_case_status(b.services, p.agent, case.id, CaseStatus.RESOLVED)
        await rate_case(b.services, p.customer, case.id, score, None)
    b.clock.advance(hours=1)
    period = dict(since=NOW - timedelta(minutes=1), until=b.clock.now())
    report = await satisfaction_report(b.services, p.admin, agent_id=p.agent.user_id, **period)
    assert report.overall.distribution == (0, 0, 0, 2, 1)
    assert report.overall.count == 3 and report.overall.average == 4.33
    assert [(s.agent_id, s.count) for s in report.agents] == [(p.agent.user_id, 3)]
    # Outside the period: nothing.
    before = await satisfaction_report(
        b.services,
        p.agent,
        since=NOW - timedelta(days=2),
        until=NOW - timedelta(days=1),
        agent_id=p.agent.user_id,
    )
    assert before.overall.count == 0 and before.overall.average is None
    with pytest.raises(Forbidden):
        await satisfaction_report(b.services, p.customer, **period)
    with pytest.raises(ValidationFailed):
        await satisfaction_report(b.services, p.agent, since=NOW, until=NOW)


SCENARIOS: dict[str, Callable[[Bench], Awaitable[None]]] = {
    f.__name__: f
    for f in (
        every_placeholder_renders_from_the_case,
        unknown_placeholders_are_refused_at_save,
        order_placeholders_need_an_order,
        applying_with_a_status_change_is_one_transaction,
        applying_is_idempotent_with_a_key,
        macros_are_for_staff_and_managed_by_them,
        macros_page_by_title,
        a_rating_is_given_once_by_the_customer_after_resolution,
        a_rating_is_only_possible_within_the_window,
        the_report_counts_per_agent_and_period,
    )
}
