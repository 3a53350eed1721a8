"""Overdue (the agents' queue filter): the rule in domain.sla, and the in-memory read store
filtering on it. The SQL read store runs the same scenarios (tests/integration/sql)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory import InMemoryReadStore, InMemoryStore, InMemoryUnitOfWorkFactory
from domain.cases import CaseStatus
from domain.queries import CaseFilter
from domain.sla import SlaKind, current_breach, is_overdue
from tests.overdue_cases import EXPECTED, overdue_scenarios
from tests.unit.builders import ALICE_ID, BOB_ID, NOW


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_rule(name: str) -> None:
    case = overdue_scenarios(ALICE_ID, NOW)[name]
    assert is_overdue(case, NOW) is EXPECTED[name]


def test_overdue_cases_are_breached_and_open() -> None:
    # Consistency with the breach rules: every overdue case shows a current breach.
    for name, case in overdue_scenarios(ALICE_ID, NOW).items():
        if is_overdue(case, NOW):
            assert case.status.is_open, name
            breaches = [current_breach(case, kind, NOW) for kind in SlaKind]
            assert any(breaches), name


def test_time_moves_a_case_into_overdue() -> None:
    case = overdue_scenarios(ALICE_ID, NOW)["fresh"]
    assert not is_overdue(case, NOW)
    assert not is_overdue(case, case.first_response_due_at)
    assert is_overdue(case, case.first_response_due_at + timedelta(seconds=1))


def test_pausing_and_resuming() -> None:
    late = overdue_scenarios(ALICE_ID, NOW)["first_response_late"]
    assert is_overdue(late, NOW)
    late.pause_sla(NOW)
    assert not is_overdue(late, NOW + timedelta(hours=5)), "paused: not overdue"
    late.resume_sla(NOW + timedelta(hours=5))
    assert is_overdue(late, NOW + timedelta(hours=5)), "running again, still a minute late"

    fresh = overdue_scenarios(ALICE_ID, NOW)["fresh"]  # first response due in an hour
    fresh.pause_sla(NOW)
    fresh.resume_sla(NOW + timedelta(hours=5))  # the due times move out by the pause
    assert not is_overdue(fresh, NOW + timedelta(hours=5, minutes=59))
    assert is_overdue(fresh, NOW + timedelta(hours=6, seconds=1))


def test_a_filter_with_overdue_needs_an_instant() -> None:
    with pytest.raises(ValueError, match="as_of"):
        CaseFilter(overdue=True)


async def test_the_memory_read_store_filters_on_the_rule() -> None:
    store = InMemoryStore()
    uow = InMemoryUnitOfWorkFactory(store)
    mine = overdue_scenarios(ALICE_ID, NOW)
    others = overdue_scenarios(BOB_ID, NOW)  # another customer's: filtered out by customer_id
    async with uow() as work:
        for case in [*mine.values(), *others.values()]:
            await work.cases.add(case)
        await work.commit()
    reads = InMemoryReadStore(store)
    names = {case.id: name for name, case in mine.items()}

    async def listed(**kw: object) -> set[str]:
        f = CaseFilter(customer_id=ALICE_ID, **kw)  # type: ignore[arg-type]
        return {names[c.id] for c in (await reads.list_cases(f, first=100, after=None)).items}

    overdue = {name for name, late in EXPECTED.items() if late}
    assert await listed(overdue=True, as_of=NOW) == overdue
    assert await listed(overdue=False, as_of=NOW) == set(EXPECTED) - overdue
    assert await listed() == set(EXPECTED)
    assert await listed(overdue=True, as_of=NOW, statuses=(CaseStatus.IN_PROGRESS,)) == {
        "in_progress_resolution_late",
        "resumed_and_late",
    }
    # A day earlier, nothing was overdue yet.
    assert await listed(overdue=True, as_of=NOW - timedelta(days=1)) == set()
