"""The support case aggregate: status machine, messages, SLA clock and text validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from domain.cases import (
    BODY_MAX,
    SUBJECT_MAX,
    CaseCategory,
    CasePriority,
    CaseRules,
    CaseStatus,
    SupportCase,
)
from domain.errors import Forbidden, InvalidTransition, ValidationFailed
from domain.events import CaseEventType
from domain.users import Principal, Role
from tests.unit.builders import NOW, opened_case

RULES = CaseRules()
CUSTOMER = Principal(user_id="user-alice", role=Role.CUSTOMER, session_id="s1")
OTHER_CUSTOMER = Principal(user_id="user-bob", role=Role.CUSTOMER, session_id="s2")
AGENT = Principal(user_id="user-agent", role=Role.AGENT, session_id="s3")
ADMIN = Principal(user_id="user-admin", role=Role.ADMIN, session_id="s4")

S = CaseStatus
ALL_STATUSES = list(CaseStatus)
# DOMAIN.md: OPEN -> IN_PROGRESS <-> WAITING_ON_CUSTOMER -> RESOLVED -> CLOSED; any open state
# -> RESOLVED; RESOLVED -> OPEN (reopen); RESOLVED -> CLOSED (by an agent); CLOSED is terminal.
STAFF_LEGAL = {
    (S.OPEN, S.IN_PROGRESS),
    (S.OPEN, S.RESOLVED),
    (S.IN_PROGRESS, S.WAITING_ON_CUSTOMER),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.WAITING_ON_CUSTOMER, S.IN_PROGRESS),
    (S.WAITING_ON_CUSTOMER, S.RESOLVED),
    (S.RESOLVED, S.OPEN),
    (S.RESOLVED, S.CLOSED),
}
# Customers may resolve their case and reopen it; nothing else.
CUSTOMER_TARGETS = {S.RESOLVED, S.OPEN}
CUSTOMER_LEGAL = {(a, b) for (a, b) in STAFF_LEGAL if b in CUSTOMER_TARGETS}

# The path from OPEN to each status, moved by an agent.
_PATHS: dict[CaseStatus, list[CaseStatus]] = {
    S.OPEN: [],
    S.IN_PROGRESS: [S.IN_PROGRESS],
    S.WAITING_ON_CUSTOMER: [S.IN_PROGRESS, S.WAITING_ON_CUSTOMER],
    S.RESOLVED: [S.RESOLVED],
    S.CLOSED: [S.RESOLVED, S.CLOSED],
}


def new_case(
    priority: CasePriority = CasePriority.NORMAL, now: datetime = NOW, **kw: str
) -> SupportCase:
    return opened_case(
        customer_id=CUSTOMER.user_id,
        subject=kw.get("subject", "Broken headphones"),
        description=kw.get("description", "The left ear cup is cracked."),
        category=CaseCategory.PRODUCT_ISSUE,
        priority=priority,
        order_id="ord-alice-1",
        now=now,
        rules=RULES,
    )


def status_of(case: SupportCase) -> CaseStatus:
    return case.status  # (a fresh read for the type checker, which narrows attributes)


def case_in(status: CaseStatus, now: datetime = NOW) -> SupportCase:
    case = new_case(now=now)
    for step in _PATHS[status]:
        case.change_status(step, actor=AGENT, now=now, rules=RULES)
    assert case.status is status
    case.pull_events()
    return case


# -- opening --------------------------------------------------------------------------------------


def test_open_case_starts_open_with_an_event() -> None:
    case = new_case()
    assert case.status is S.OPEN
    assert case.created_at == case.updated_at == NOW
    assert case.assignee_id is None and case.number is None
    assert case.display_number == "CS-??????"
    case.number = 42
    assert case.display_number == "CS-000042"
    [event] = case.pull_events()
    assert event.type is CaseEventType.CASE_OPENED
    assert event.actor_id == CUSTOMER.user_id and event.case_id == case.id
    assert event.occurred_at == NOW
    assert case.pull_events() == []


def test_visibility() -> None:
    case = new_case()
    assert case.visible_to(CUSTOMER)
    assert not case.visible_to(OTHER_CUSTOMER)
    assert case.visible_to(AGENT) and case.visible_to(ADMIN)


# -- status machine -------------------------------------------------------------------------------


@pytest.mark.parametrize(("actor"), [AGENT, ADMIN], ids=["agent", "admin"])
@pytest.mark.parametrize(("source", "target"), [(a, b) for a in ALL_STATUSES for b in ALL_STATUSES])
def test_staff_status_moves(source: CaseStatus, target: CaseStatus, actor: Principal) -> None:
    case = case_in(source)
    later = NOW + timedelta(hours=1)
    if (source, target) in STAFF_LEGAL:
        case.change_status(target, actor=actor, now=later, rules=RULES)
        assert case.status is target
        assert case.updated_at == later
        [event] = case.pull_events()
        assert event.type is CaseEventType.STATUS_CHANGED
        assert (event.before, event.after) == (source, target)
        assert event.actor_id == actor.user_id
    else:
        with pytest.raises(InvalidTransition) as info:
            case.change_status(target, actor=actor, now=later, rules=RULES)
        assert (info.value.from_state, info.value.to_state) == (source, target)
        assert str(source) in info.value.message and str(target) in info.value.message
        assert case.status is source
        assert case.pull_events() == []


@pytest.mark.parametrize(("source", "target"), [(a, b) for a in ALL_STATUSES for b in ALL_STATUSES])
def test_customer_status_moves(source: CaseStatus, target: CaseStatus) -> None:
    case = case_in(source)
    later = NOW + timedelta(hours=1)
    if (source, target) in CUSTOMER_LEGAL:
        case.change_status(target, actor=CUSTOMER, now=later, rules=RULES)
        assert case.status is target
        [event] = case.pull_events()
        assert event.actor_id == CUSTOMER.user_id
        assert (event.before, event.after) == (source, target)
    elif target not in CUSTOMER_TARGETS:
        with pytest.raises(Forbidden):
            case.change_status(target, actor=CUSTOMER, now=later, rules=RULES)
        assert case.status is source
    else:
        with pytest.raises(InvalidTransition) as info:
            case.change_status(target, actor=CUSTOMER, now=later, rules=RULES)
        assert str(source) in info.value.message and str(target) in info.value.message
        assert case.status is source


def test_closed_is_terminal() -> None:
    case = case_in(S.CLOSED)
    for target in ALL_STATUSES:
        with pytest.raises(InvalidTransition):
            case.change_status(target, actor=ADMIN, now=NOW, rules=RULES)
    assert case.close_if_due(now=NOW + timedelta(days=365), rules=RULES) is False
    case.reopen_for_refund_failure(now=NOW)
    assert case.status is S.CLOSED


def test_resolving_and_closing_stamp_the_case() -> None:
    case = case_in(S.IN_PROGRESS)
    case.change_status(S.RESOLVED, actor=AGENT, now=NOW + timedelta(hours=2), rules=RULES)
    assert case.resolved_at == NOW + timedelta(hours=2)
    case.change_status(S.CLOSED, actor=AGENT, now=NOW + timedelta(hours=3), rules=RULES)
    assert case.closed_at == NOW + timedelta(hours=3)
    assert case.resolved_at == NOW + timedelta(hours=2)


@pytest.mark.parametrize("actor", [CUSTOMER, AGENT], ids=["customer", "agent"])
def test_reopen_within_the_reopen_period(actor: Principal) -> None:
    case = case_in(S.RESOLVED)
    case.change_status(S.OPEN, actor=actor, now=NOW + timedelta(days=14), rules=RULES)
    assert case.status is S.OPEN
    assert case.resolved_at is None


@pytest.mark.parametrize("actor", [CUSTOMER, AGENT], ids=["customer", "agent"])
def test_reopen_after_the_reopen_period_is_refused(actor: Principal) -> None:
    case = case_in(S.RESOLVED)
    with pytest.raises(InvalidTransition) as info:
        case.change_status(
            S.OPEN, actor=actor, now=NOW + timedelta(days=14, seconds=1), rules=RULES
        )
    assert "RESOLVED" in info.value.message and "OPEN" in info.value.message
    assert case.status is S.RESOLVED


def test_reopen_period_is_a_setting() -> None:
    rules = CaseRules(reopen_within=timedelta(days=1))
    case = case_in(S.RESOLVED)
    with pytest.raises(InvalidTransition):
        case.change_status(S.OPEN, actor=AGENT, now=NOW + timedelta(days=2), rules=rules)


def test_auto_close_after_seven_days() -> None:
    case = case_in(S.RESOLVED)
    assert not case.close_if_due(now=NOW + timedelta(days=7) - timedelta(seconds=1), rules=RULES)
    assert case.status == S.RESOLVED
    assert case.close_if_due(now=NOW + timedelta(days=7), rules=RULES)
    assert status_of(case) is S.CLOSED
    [event] = case.pull_events()
    assert event.actor_id is None  # the scheduler, not a person
    assert (event.before, event.after) == (S.RESOLVED, S.CLOSED)


@pytest.mark.parametrize("status", [S.OPEN, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER])
def test_auto_close_only_touches_resolved_cases(status: CaseStatus) -> None:
    case = case_in(status)
    assert not case.close_if_due(now=NOW + timedelta(days=100), rules=RULES)
    assert case.status is status


def test_auto_close_period_is_a_setting() -> None:
    case = case_in(S.RESOLVED)
    assert case.close_if_due(
        now=NOW + timedelta(days=1), rules=CaseRules(auto_close_after=timedelta(days=1))
    )


def test_failed_refund_reopens_a_resolved_case_only() -> None:
    case = case_in(S.RESOLVED)
    case.reopen_for_refund_failure(now=NOW + timedelta(days=30))  # even after the reopen period
    assert case.status is S.OPEN
    [event] = case.pull_events()
    assert event.actor_id is None
    for status in (S.OPEN, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER):
        other = case_in(status)
        other.reopen_for_refund_failure(now=NOW)
        assert other.status is status and other.pull_events() == []


# -- messages -------------------------------------------------------------------------------------


def test_customer_reply_on_waiting_moves_back_to_in_progress() -> None:
    case = case_in(S.WAITING_ON_CUSTOMER)
    later = NOW + timedelta(hours=3)
    message = case.post_message("Here is the photo.", internal=False, author=CUSTOMER, now=later)
    assert case.status is S.IN_PROGRESS
    posted, moved = case.pull_events()
    assert posted.type is CaseEventType.MESSAGE_POSTED and posted.message_id == message.id
    assert moved.type is CaseEventType.STATUS_CHANGED
    assert (moved.before, moved.after) == (S.WAITING_ON_CUSTOMER, S.IN_PROGRESS)
    assert moved.actor_id == CUSTOMER.user_id


@pytest.mark.parametrize("internal", [False, True])
def test_agent_messages_do_not_leave_waiting(internal: bool) -> None:
    case = case_in(S.WAITING_ON_CUSTOMER)
    case.post_message("Any news?", internal=internal, author=AGENT, now=NOW)
    assert case.status is S.WAITING_ON_CUSTOMER


@pytest.mark.parametrize("status", [S.OPEN, S.IN_PROGRESS, S.RESOLVED])
def test_customer_reply_elsewhere_keeps_the_status(status: CaseStatus) -> None:
    case = case_in(status)
    case.post_message("Thanks", internal=False, author=CUSTOMER, now=NOW)
    assert case.status is status


def test_message_fields_and_event() -> None:
    case = new_case()
    case.pull_events()
    later = NOW + timedelta(minutes=5)
    message = case.post_message("  Hello\r\nthere\t!  ", internal=False, author=AGENT, now=later)
    assert message.body == "Hello\nthere\t!"
    assert message.case_id == case.id and message.author_id == AGENT.user_id
    assert message.created_at == later and not message.internal
    assert case.updated_at == later
    [event] = case.pull_events()
    assert event.type is CaseEventType.MESSAGE_POSTED and not event.internal


def test_internal_note_is_an_internal_event() -> None:
    case = new_case()
    case.pull_events()
    note = case.post_message("Customer sounds upset", internal=True, author=AGENT, now=NOW)
    assert note.internal
    [event] = case.pull_events()
    assert event.internal and event.message_id == note.id


def test_customers_cannot_write_internal_notes() -> None:
    case = new_case()
    with pytest.raises(Forbidden):
        case.post_message("sneaky", internal=True, author=CUSTOMER, now=NOW)


@pytest.mark.parametrize("author", [CUSTOMER, AGENT], ids=["customer", "agent"])
def test_closed_case_refuses_messages(author: Principal) -> None:
    case = case_in(S.CLOSED)
    with pytest.raises(ValidationFailed) as info:
        case.post_message("hello?", internal=False, author=author, now=NOW)
    assert info.value.fields[0].field == "caseId"


def test_resolved_case_still_takes_messages() -> None:
    case = case_in(S.RESOLVED)
    case.post_message("One more thing", internal=False, author=CUSTOMER, now=NOW)
    assert case.status is S.RESOLVED


# -- text validation ------------------------------------------------------------------------------


def fields_of(exc: ValidationFailed) -> set[str]:
    return {f.field for f in exc.fields}


def test_subject_and_description_are_trimmed() -> None:
    case = new_case(subject="   Broken  ", description="\n\n  Cracked.\n\t ")
    assert case.subject == "Broken"
    assert case.description == "Cracked."


# Each text: what stores it (returning the stored text) and its maximum length after trimming.
TEXTS: dict[str, tuple[int, Callable[[str], str]]] = {
    "subject": (SUBJECT_MAX, lambda text: new_case(subject=text).subject),
    "description": (BODY_MAX, lambda text: new_case(description=text).description),
    "body": (
        BODY_MAX,
        lambda text: new_case().post_message(text, internal=False, author=CUSTOMER, now=NOW).body,
    ),
}


def _length_cases(maximum: int) -> list[tuple[str, bool]]:
    return [
        ("x", True),
        ("x" * maximum, True),
        ("x" * (maximum + 1), False),
        ("", False),
        ("   ", False),
        (" \n\t ", False),
        (" \t" + "x" * maximum + "\n", True),  # trimmed back to the maximum
    ]


def test_the_maximum_lengths() -> None:
    assert (SUBJECT_MAX, BODY_MAX) == (200, 10_000)


@pytest.mark.parametrize(
    ("field", "text", "ok"),
    [(field, text, ok) for field, (most, _) in TEXTS.items() for text, ok in _length_cases(most)],
)
def test_texts_are_1_to_their_maximum_long_after_trimming(field: str, text: str, ok: bool) -> None:
    _, store = TEXTS[field]
    if ok:
        assert store(text) == text.strip()
    else:
        with pytest.raises(ValidationFailed) as info:
            store(text)
        assert fields_of(info.value) == {field}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as info:
        new_case(subject="", description="x" * (BODY_MAX + 1))
    assert fields_of(info.value) == {"subject", "description"}


CONTROL_CHARACTERS = ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x7f", "\x85"]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS)
def test_control_characters_are_refused_in_text(char: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        new_case(description=f"before{char}after")
    assert fields_of(info.value) == {"description"}
    case = new_case()
    with pytest.raises(ValidationFailed):
        case.post_message(f"before{char}after", internal=False, author=CUSTOMER, now=NOW)


@pytest.mark.parametrize("char", [*CONTROL_CHARACTERS, "\n", "\t"])
def test_subject_is_a_single_line(char: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        new_case(subject=f"broken{char}headphones")
    assert fields_of(info.value) == {"subject"}


def test_newline_and_tab_are_allowed_in_bodies() -> None:
    case = new_case(description="line one\nline\ttwo")
    assert case.description == "line one\nline\ttwo"
    message = case.post_message("a\n\tb\r\nc", internal=False, author=CUSTOMER, now=NOW)
    assert message.body == "a\n\tb\nc"


def test_unicode_text_is_fine() -> None:
    case = new_case(subject="Kaputte Kopfhörer 🎧", description="Déjà vu — 壊れた")
    assert case.subject == "Kaputte Kopfhörer 🎧"


def test_lone_surrogates_are_refused() -> None:
    # Not encodable as UTF-8: PostgreSQL would fail on them with a server error.
    with pytest.raises(ValidationFailed):
        new_case(description="bad \ud800 text")
    case = new_case()
    with pytest.raises(ValidationFailed):
        case.post_message("bad \udfff", internal=False, author=CUSTOMER, now=NOW)


# -- priority and assignment ----------------------------------------------------------------------


def test_priority_change_records_before_and_after() -> None:
    case = new_case()
    case.pull_events()
    case.set_priority(CasePriority.HIGH, actor=AGENT, now=NOW, rules=RULES)
    [event] = case.pull_events()
    assert event.type is CaseEventType.PRIORITY_CHANGED
    assert (event.before, event.after) == (CasePriority.NORMAL, CasePriority.HIGH)
    case.set_priority(CasePriority.HIGH, actor=AGENT, now=NOW, rules=RULES)
    assert case.pull_events() == []  # no change, no event


def test_customers_cannot_set_priority_or_assign() -> None:
    case = new_case()
    with pytest.raises(Forbidden):
        case.set_priority(CasePriority.URGENT, actor=CUSTOMER, now=NOW, rules=RULES)
    with pytest.raises(Forbidden):
        case.assign(AGENT.user_id, assignee_name="Agnes", actor=CUSTOMER, now=NOW)


def test_closed_case_refuses_priority_and_assignment() -> None:
    case = case_in(S.CLOSED)
    with pytest.raises(ValidationFailed):
        case.set_priority(CasePriority.URGENT, actor=AGENT, now=NOW, rules=RULES)
    with pytest.raises(ValidationFailed):
        case.assign(AGENT.user_id, assignee_name="Agnes", actor=AGENT, now=NOW)


def test_assign_and_unassign() -> None:
    case = new_case()
    case.pull_events()
    case.assign(AGENT.user_id, assignee_name="Agnes Agent", actor=ADMIN, now=NOW)
    assert case.assignee_id == AGENT.user_id
    case.assign(AGENT.user_id, assignee_name="Agnes Agent", actor=ADMIN, now=NOW)  # no-op
    case.assign(None, assignee_name=None, actor=AGENT, now=NOW)
    assigned, unassigned = case.pull_events()
    assert assigned.type is CaseEventType.ASSIGNED and assigned.summary == "Assigned to Agnes Agent"
    assert (assigned.before, assigned.after) == (None, AGENT.user_id)
    assert unassigned.summary == "Unassigned" and unassigned.before == AGENT.user_id


# -- SLA ------------------------------------------------------------------------------------------

H = timedelta(hours=1)
SLA = {
    CasePriority.URGENT: (1 * H, 8 * H),
    CasePriority.HIGH: (4 * H, 24 * H),
    CasePriority.NORMAL: (24 * H, 72 * H),
    CasePriority.LOW: (72 * H, timedelta(days=7)),
}


@pytest.mark.parametrize("priority", list(CasePriority))
def test_due_times_per_priority(priority: CasePriority) -> None:
    case = new_case(priority)
    first_response, resolution = SLA[priority]
    assert case.first_response_due_at == NOW + first_response
    assert case.resolution_due_at == NOW + resolution


@pytest.mark.parametrize("priority", list(CasePriority))
def test_breached_flags_flip_just_after_the_due_time(priority: CasePriority) -> None:
    case = new_case(priority)
    first_response, resolution = SLA[priority]
    second = timedelta(seconds=1)
    assert not case.first_response_breached(NOW + first_response)
    assert case.first_response_breached(NOW + first_response + second)
    assert not case.resolution_breached(NOW + resolution)
    assert case.resolution_breached(NOW + resolution + second)


def test_priority_change_recomputes_due_times_from_creation() -> None:
    case = new_case(CasePriority.NORMAL)
    two_hours_later = NOW + 2 * H
    assert not case.first_response_breached(two_hours_later)
    case.set_priority(CasePriority.URGENT, actor=AGENT, now=two_hours_later, rules=RULES)
    assert case.first_response_due_at == NOW + H
    assert case.resolution_due_at == NOW + 8 * H
    assert case.first_response_breached(two_hours_later)
    case.set_priority(CasePriority.LOW, actor=AGENT, now=two_hours_later, rules=RULES)
    assert case.first_response_due_at == NOW + 72 * H
    assert case.resolution_due_at == NOW + timedelta(days=7)
    assert not case.first_response_breached(two_hours_later)


def test_first_public_agent_reply_stops_the_first_response_clock() -> None:
    case = new_case(CasePriority.URGENT)
    case.post_message(
        "Looking into it", internal=False, author=AGENT, now=NOW + 30 * timedelta(minutes=1)
    )
    assert case.first_responded_at == NOW + timedelta(minutes=30)
    assert not case.first_response_breached(NOW + timedelta(days=3))
    case.post_message("Update", internal=False, author=AGENT, now=NOW + 2 * H)
    assert case.first_responded_at == NOW + timedelta(minutes=30)  # the first one counts


def test_internal_note_does_not_stop_the_first_response_clock() -> None:
    case = new_case(CasePriority.URGENT)
    case.post_message("note to self", internal=True, author=AGENT, now=NOW + timedelta(minutes=5))
    assert case.first_responded_at is None
    assert case.first_response_breached(NOW + 2 * H)


def test_customer_message_does_not_stop_the_first_response_clock() -> None:
    case = new_case(CasePriority.URGENT)
    case.post_message("hello?", internal=False, author=CUSTOMER, now=NOW + timedelta(minutes=5))
    assert case.first_responded_at is None
    assert case.first_response_breached(NOW + 2 * H)


def test_late_first_response_stays_breached() -> None:
    case = new_case(CasePriority.URGENT)
    case.post_message("Sorry for the wait", internal=False, author=AGENT, now=NOW + 2 * H)
    assert case.first_response_breached(NOW + 2 * H)
    assert case.first_response_breached(NOW + 100 * H)


def test_resolution_in_time_is_never_breached_and_late_one_stays_breached() -> None:
    on_time = new_case(CasePriority.URGENT)
    on_time.change_status(S.RESOLVED, actor=AGENT, now=NOW + 7 * H, rules=RULES)
    assert not on_time.resolution_breached(NOW + 100 * H)
    on_time.change_status(S.CLOSED, actor=AGENT, now=NOW + 100 * H, rules=RULES)
    assert not on_time.resolution_breached(NOW + 200 * H)
    late = new_case(CasePriority.URGENT)
    late.change_status(S.RESOLVED, actor=AGENT, now=NOW + 9 * H, rules=RULES)
    assert late.resolution_breached(NOW + 9 * H)


def test_waiting_on_customer_pauses_the_clock_and_shifts_due_times() -> None:
    case = new_case(CasePriority.NORMAL)  # first response due +24 h, resolution due +72 h
    case.change_status(S.IN_PROGRESS, actor=AGENT, now=NOW + H, rules=RULES)
    case.change_status(S.WAITING_ON_CUSTOMER, actor=AGENT, now=NOW + 2 * H, rules=RULES)
    assert case.paused_since == NOW + 2 * H
    # While paused, due times stay put and the clock stands still: nothing breaches.
    assert case.resolution_due_at == NOW + 72 * H
    assert not case.first_response_breached(NOW + 500 * H)
    assert not case.resolution_breached(NOW + 500 * H)
    # The customer answers ten hours later: the clock runs again, due times move out by 10 h.
    case.post_message("Photo attached", internal=False, author=CUSTOMER, now=NOW + 12 * H)
    assert case.status is S.IN_PROGRESS
    assert case.paused_since is None
    assert case.paused_seconds == 10 * 3600
    assert case.first_response_due_at == NOW + 34 * H
    assert case.resolution_due_at == NOW + 82 * H
    assert not case.resolution_breached(NOW + 82 * H)
    assert case.resolution_breached(NOW + 82 * H + timedelta(seconds=1))


def test_pause_ends_when_resolved_from_waiting() -> None:
    case = case_in(S.WAITING_ON_CUSTOMER)
    case.change_status(S.RESOLVED, actor=AGENT, now=NOW + 5 * H, rules=RULES)
    assert case.paused_since is None
    assert case.paused_seconds == 5 * 3600
    assert case.resolution_due_at == NOW + 77 * H


def test_pauses_add_up() -> None:
    case = case_in(S.IN_PROGRESS)
    for start in (H, 10 * H):
        case.change_status(S.WAITING_ON_CUSTOMER, actor=AGENT, now=NOW + start, rules=RULES)
        case.change_status(S.IN_PROGRESS, actor=AGENT, now=NOW + start + 2 * H, rules=RULES)
    assert case.paused_seconds == 4 * 3600
    assert case.resolution_due_at == NOW + 76 * H


def test_priority_change_keeps_past_pauses() -> None:
    case = case_in(S.IN_PROGRESS)
    case.change_status(S.WAITING_ON_CUSTOMER, actor=AGENT, now=NOW + H, rules=RULES)
    case.change_status(S.IN_PROGRESS, actor=AGENT, now=NOW + 4 * H, rules=RULES)  # 3 h paused
    case.set_priority(CasePriority.HIGH, actor=AGENT, now=NOW + 5 * H, rules=RULES)
    assert case.first_response_due_at == NOW + 4 * H + 3 * H
    assert case.resolution_due_at == NOW + 24 * H + 3 * H


def test_priority_change_while_paused_then_resume() -> None:
    case = case_in(S.IN_PROGRESS)
    case.change_status(S.WAITING_ON_CUSTOMER, actor=AGENT, now=NOW + H, rules=RULES)
    case.set_priority(CasePriority.URGENT, actor=AGENT, now=NOW + 2 * H, rules=RULES)
    assert case.resolution_due_at == NOW + 8 * H
    case.change_status(S.IN_PROGRESS, actor=AGENT, now=NOW + 6 * H, rules=RULES)  # 5 h paused
    assert case.resolution_due_at == NOW + 13 * H
    assert case.first_response_due_at == NOW + 6 * H


def test_sub_second_pauses_keep_due_times_consistent() -> None:
    case = case_in(S.IN_PROGRESS)
    start = NOW + timedelta(milliseconds=500)
    case.change_status(S.WAITING_ON_CUSTOMER, actor=AGENT, now=start, rules=RULES)
    case.change_status(S.IN_PROGRESS, actor=AGENT, now=start + timedelta(seconds=1.5), rules=RULES)
    after_pause = (case.first_response_due_at, case.resolution_due_at)
    # Changing the priority back and forth must land on exactly the same due times.
    case.set_priority(CasePriority.HIGH, actor=AGENT, now=NOW + H, rules=RULES)
    case.set_priority(CasePriority.NORMAL, actor=AGENT, now=NOW + H, rules=RULES)
    assert (case.first_response_due_at, case.resolution_due_at) == after_pause


def test_sla_targets_are_settings() -> None:
    from domain.cases import SlaTargets

    short = {p: timedelta(minutes=1) for p in CasePriority}
    rules = CaseRules(sla=SlaTargets(first_response=short, resolution=short))
    case = opened_case(priority=CasePriority.LOW, rules=rules)
    assert case.resolution_due_at == NOW + timedelta(minutes=1)


def test_refund_execution_pause_shifts_due_times_and_does_not_stack() -> None:
    case = case_in(S.IN_PROGRESS)
    case.pause_sla(NOW + H)  # a refund of the case is being executed
    case.pause_sla(NOW + 2 * H)  # already paused: the first start counts
    assert not case.resolution_breached(NOW + 500 * H)
    case.resume_sla(NOW + 4 * H)
    case.resume_sla(NOW + 5 * H)  # not paused any more: no effect
    assert case.paused_seconds == 3 * 3600
    assert case.resolution_due_at == NOW + 75 * H
