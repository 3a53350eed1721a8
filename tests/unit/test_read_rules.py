"""The read-side rules, one test per rule: domain.visibility (who sees what) and domain.queries
(the customer's case filters, page sizes, the search text and case numbers). The resolvers,
`node()`, the live feed and both read stores use exactly these functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import visibility
from domain.cases import CaseCategory, CasePriority, CaseStatus, Message, SupportCase
from domain.errors import ValidationFailed
from domain.events import CaseEvent, CaseEventType
from domain.money import Money
from domain.queries import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_SEARCH_LENGTH,
    MAX_SEARCH_WORD_LENGTH,
    MAX_SEARCH_WORDS,
    CaseListRequest,
    case_filter_for,
    case_number_in,
    normalize_email_filter,
    normalize_search,
    order_references,
    page_size,
    search_term,
    search_words,
    words_match,
)
from domain.refunds import Refund, RefundReason, RefundStatus
from domain.users import Principal, Role, User

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

ALICE = Principal(user_id="alice", role=Role.CUSTOMER, session_id="s1")
BOB = Principal(user_id="bob", role=Role.CUSTOMER, session_id="s2")
AGENT = Principal(user_id="agent", role=Role.AGENT, session_id="s3")
ADMIN = Principal(user_id="admin", role=Role.ADMIN, session_id="s4")
STAFF = (AGENT, ADMIN)


def _user(user_id: str, role: Role) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        name=user_id.title(),
        role=role,
        password_hash="x",
        created_at=NOW,
    )


def _case(customer_id: str = "alice") -> SupportCase:
    return SupportCase(
        id="case-1",
        subject="Broken kettle",
        description="It leaks",
        category=CaseCategory.PRODUCT_ISSUE,
        priority=CasePriority.NORMAL,
        status=CaseStatus.OPEN,
        customer_id=customer_id,
        created_at=NOW,
        updated_at=NOW,
        first_response_due_at=NOW,
        resolution_due_at=NOW,
    )


def _message(*, internal: bool) -> Message:
    return Message(
        id="m1", case_id="case-1", author_id="agent", body="hi", internal=internal, created_at=NOW
    )


def _event(*, internal: bool) -> CaseEvent:
    return CaseEvent(
        id="e1",
        case_id="case-1",
        type=CaseEventType.MESSAGE_POSTED,
        occurred_at=NOW,
        summary="Message posted",
        internal=internal,
    )


def _refund(customer_id: str = "alice") -> Refund:
    return Refund(
        id="r1",
        case_id="case-1",
        order_id="o1",
        customer_id=customer_id,
        amount=Money(1000, "USD"),
        reason=RefundReason.DAMAGED,
        status=RefundStatus.REQUESTED,
        created_at=NOW,
        updated_at=NOW,
        requested_by_id=customer_id,
    )


# -- domain.visibility --------------------------------------------------------------------------


def test_only_staff_see_internal_notes_and_events() -> None:
    assert all(visibility.sees_internal(p) for p in STAFF)
    assert not visibility.sees_internal(ALICE)
    assert not visibility.sees_internal(None)


def test_internal_messages_are_hidden_from_customers() -> None:
    note, public = _message(internal=True), _message(internal=False)
    assert not visibility.may_see_message(ALICE, note)
    assert not visibility.may_see_message(None, note)
    assert visibility.may_see_message(ALICE, public)
    assert all(visibility.may_see_message(p, note) for p in STAFF)


def test_internal_events_are_hidden_from_customers() -> None:
    alert, public = _event(internal=True), _event(internal=False)
    assert not visibility.may_see_event(ALICE, alert)
    assert visibility.may_see_event(ALICE, public)
    assert all(visibility.may_see_event(p, alert) for p in STAFF)


def test_a_case_is_its_customers_and_the_staffs() -> None:
    case = _case("alice")
    assert visibility.may_see_case(ALICE, case)
    assert not visibility.may_see_case(BOB, case)
    assert not visibility.may_see_case(None, case)
    assert all(visibility.may_see_case(p, case) for p in STAFF)
    assert case.visible_to(ALICE) and not case.visible_to(BOB)  # the entity asks the same rule


def test_a_refund_is_its_customers_and_the_staffs() -> None:
    refund = _refund("alice")
    assert visibility.may_see_refund(ALICE, refund)
    assert not visibility.may_see_refund(BOB, refund)
    assert not visibility.may_see_refund(None, refund)
    assert all(visibility.may_see_refund(p, refund) for p in STAFF)


def test_customers_see_themselves_and_staff_never_other_customers() -> None:
    alice, bob, agent = (
        _user("alice", Role.CUSTOMER),
        _user("bob", Role.CUSTOMER),
        _user("agent", Role.AGENT),
    )
    assert visibility.may_see_user(ALICE, alice)
    assert visibility.may_see_user(ALICE, agent)
    assert not visibility.may_see_user(ALICE, bob)
    assert not visibility.may_see_user(None, alice)
    assert all(visibility.may_see_user(p, bob) for p in STAFF)


def test_an_email_is_for_staff_and_the_user_themselves() -> None:
    alice, agent = _user("alice", Role.CUSTOMER), _user("agent", Role.AGENT)
    assert visibility.may_see_email(ALICE, alice)
    assert not visibility.may_see_email(BOB, alice)
    assert not visibility.may_see_email(ALICE, agent)  # a customer sees staff, not their email
    assert not visibility.may_see_email(None, alice)
    assert visibility.may_see_email(None, alice, is_self=True)  # just logged in
    assert all(visibility.may_see_email(p, alice) for p in STAFF)


# -- domain.queries: the case filters a principal may use ---------------------------------------

EVERY_STAFF_FILTER = CaseListRequest(
    statuses=(CaseStatus.OPEN,),
    priorities=(CasePriority.HIGH,),
    assigned_to_me=True,
    unassigned=True,
    customer_id="bob",
    search="  kettle ",
    overdue=True,
    customer_email=" Bob@Example.com ",
    assignee_id="sam",
)


def test_a_customers_staff_filters_are_ignored_and_their_own_cases_forced() -> None:
    f = case_filter_for(ALICE, EVERY_STAFF_FILTER, NOW)
    assert f.customer_id == "alice"  # not bob's, whatever was asked
    assert f.assignee_id is None and f.unassigned is False and f.overdue is None
    assert f.customer_email is None
    # What a customer may narrow by still applies.
    assert f.statuses == (CaseStatus.OPEN,) and f.priorities == (CasePriority.HIGH,)
    assert f.search == "kettle" and f.as_of == NOW


@pytest.mark.parametrize("principal", STAFF)
def test_staff_filters_apply_for_staff(principal: Principal) -> None:
    f = case_filter_for(principal, EVERY_STAFF_FILTER, NOW)
    assert f.customer_id == "bob"
    assert f.assignee_id == principal.user_id
    assert f.unassigned is True and f.overdue is True
    assert f.customer_email == "bob@example.com"
    assert case_filter_for(principal, CaseListRequest(), NOW).customer_id is None  # every case
    # assigneeId without assignedToMe: that agent's cases.
    only_sam = replace(EVERY_STAFF_FILTER, assigned_to_me=False)
    assert case_filter_for(principal, only_sam, NOW).assignee_id == "sam"


def test_full_text_looks_at_internal_notes_only_for_staff() -> None:
    request = replace(CaseListRequest(), text="  Kettle LEAKS, again! ")
    for principal, notes in ((ALICE, False), (BOB, False), (AGENT, True), (ADMIN, True)):
        f = case_filter_for(principal, request, NOW)
        assert f.words == ("kettle", "leaks", "again")
        assert f.words_in_notes is notes
    with pytest.raises(ValidationFailed):
        case_filter_for(ALICE, replace(CaseListRequest(), text="a\x00"), NOW)


def test_created_and_updated_ranges_must_not_be_empty_or_naive() -> None:
    later = NOW.replace(hour=13)
    ok = case_filter_for(
        ALICE, replace(CaseListRequest(), created_after=NOW, created_before=later), NOW
    )
    assert (ok.created_after, ok.created_before) == (NOW, later)
    assert ok.in_ranges(NOW, NOW) and not ok.in_ranges(later, NOW)
    for bad in (
        replace(CaseListRequest(), created_after=later, created_before=NOW),
        replace(CaseListRequest(), updated_after=NOW, updated_before=NOW),
        replace(CaseListRequest(), updated_after=NOW.replace(tzinfo=None)),
        replace(
            CaseListRequest(),
            created_before=datetime.min.replace(tzinfo=timezone(timedelta(hours=14))),
        ),
        replace(
            CaseListRequest(),
            created_after=datetime.max.replace(tzinfo=timezone(timedelta(hours=-14))),
        ),
    ):
        with pytest.raises(ValidationFailed):
            case_filter_for(AGENT, bad, NOW)


def test_search_words_rule() -> None:
    assert search_words("  Headphones, CRACKLE!  #1001 ") == ("headphones", "crackle", "1001")
    assert search_words("CS-000042") == ("cs", "000042")
    assert search_words("a a b") == ("a", "b")
    assert search_words("!!! ...") == ()
    assert search_words(None) == ()
    assert len(search_words(" ".join(f"w{i}" for i in range(20)))) == MAX_SEARCH_WORDS
    assert search_words("x" * 100) == ("x" * MAX_SEARCH_WORD_LENGTH,)
    with pytest.raises(ValidationFailed):
        search_words("bad\x00word")
    assert words_match(("head", "1001"), "Headphones for order #1001")
    assert not words_match(("phones",), "Headphones")  # a prefix of a word, not any substring


def test_order_and_email_filters_are_normalised() -> None:
    assert order_references(" #1001 ") == ("#1001", "1001")
    assert order_references("1001") == ("1001", "#1001")
    assert order_references("ord-alice-1") == ("ord-alice-1", "#ord-alice-1")
    assert order_references("  ") == () and order_references(None) == ()
    assert normalize_email_filter("  Bob@Example.COM ") == "bob@example.com"
    assert normalize_email_filter(" ") is None
    for bad in (lambda: order_references("a\x00"), lambda: normalize_email_filter("x\ty")):
        with pytest.raises(ValidationFailed):
            bad()


# -- domain.queries: page sizes ------------------------------------------------------------------


def test_page_size_is_1_to_100_with_a_default() -> None:
    assert page_size(None) == DEFAULT_PAGE_SIZE
    assert page_size(None, default=50) == 50
    assert page_size(1) == 1 and page_size(MAX_PAGE_SIZE) == MAX_PAGE_SIZE
    for bad in (0, -1, MAX_PAGE_SIZE + 1, True):
        with pytest.raises(ValidationFailed) as caught:
            page_size(bad)
        assert caught.value.fields[0].field == "first"


# -- domain.queries: the search text and case numbers --------------------------------------------


def test_search_text_is_trimmed_cut_and_free_of_control_characters() -> None:
    assert normalize_search(None) is None
    assert normalize_search("   ") is None
    assert normalize_search("  lamp ") == "lamp"
    assert normalize_search("x" * (MAX_SEARCH_LENGTH + 50)) == "x" * MAX_SEARCH_LENGTH
    for bad in ("a\x00b", "tab\there", "\ud800"):
        with pytest.raises(ValidationFailed) as caught:
            normalize_search(bad)
        assert caught.value.fields[0].field == "search"


def test_a_read_store_refuses_an_overlong_search_term() -> None:
    assert search_term(None) is None and search_term("  ") is None
    assert search_term(" mug ") == "mug"
    with pytest.raises(ValidationFailed):
        search_term("x" * (MAX_SEARCH_LENGTH + 1))


@pytest.mark.parametrize(
    ("term", "number"),
    [("CS-000042", 42), ("cs-42", 42), ("CS42", 42), ("42", 42), ("000042", 42), ("CS-0", 0)],
)
def test_case_numbers_as_people_type_them(term: str, number: int) -> None:
    assert case_number_in(term) == number


@pytest.mark.parametrize("term", ["kettle", "CS-", "CS-42a", "42 kettle", "1234567890", "#42"])
def test_other_search_terms_name_no_case(term: str) -> None:
    assert case_number_in(term) is None


def test_the_customer_filter_runs_the_search_rule() -> None:
    with pytest.raises(ValidationFailed):
        case_filter_for(ALICE, replace(CaseListRequest(), search="a\x00"), NOW)
