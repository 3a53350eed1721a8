"""Macros and ratings: the pure rules, and the shared scenarios over the memory adapters."""

from __future__ import annotations

import pytest

from adapters.memory import InMemoryReadStore, InMemoryStore, InMemoryUnitOfWorkFactory
from domain.cases import CaseStatus
from domain.errors import ValidationFailed
from domain.macros import PLACEHOLDERS, check_body, placeholders_in, render
from domain.satisfaction import Satisfaction, ScoreCount, report
from domain.usecases.apply_macro import apply_macro
from domain.usecases.manage_macros import create_macro, decode_cursor, encode_cursor
from domain.usecases.rate_case import rate_case
from domain.usecases.satisfaction_report import DEFAULT_REPORT_PERIOD, satisfaction_report
from tests.macro_scenarios import NOW, SCENARIOS, Bench, make_bench, open_for, resolved_case


async def _bench() -> tuple[Bench, InMemoryStore]:
    store = InMemoryStore()
    bench = await make_bench(InMemoryUnitOfWorkFactory(store), InMemoryReadStore(store))
    return bench, store


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_scenario_in_memory(name: str) -> None:
    bench, _ = await _bench()
    await SCENARIOS[name](bench)


def test_placeholders_are_found_in_order_and_unknown_ones_named() -> None:
    used = placeholders_in("{{agent_name}} for {{ customer_name }}, again {{agent_name}}")
    assert [p.name for p in used] == ["agent_name", "customer_name"]
    with pytest.raises(ValidationFailed) as info:
        placeholders_in("{{a}} {{customer_name}} {{b-c}} {{")
    messages = [f.message for f in info.value.fields]
    assert messages == [
        "unknown placeholder {{a}}",
        "unknown placeholder {{b-c}}",
        "a placeholder is opened with {{ but never closed",
    ]
    assert placeholders_in("no placeholders, just {braces}") == ()
    with pytest.raises(ValidationFailed):
        check_body("   ")


def test_rendering_fills_every_placeholder_and_refuses_missing_values() -> None:
    values = {p.name: p.example for p in PLACEHOLDERS}
    body = " ".join(p.token for p in PLACEHOLDERS)
    assert render(body, values).body == " ".join(p.example for p in PLACEHOLDERS)
    with pytest.raises(ValidationFailed) as info:
        render("{{order_number}}", {**values, "order_number": None})
    assert (
        info.value.fields[0].message == "{{order_number}} cannot be filled: this case has no order"
    )


def test_the_report_aggregates_and_orders_agents() -> None:
    counts = [
        ScoreCount("a", 5, 2),
        ScoreCount("b", 1, 1),
        ScoreCount("b", 3, 2),
        ScoreCount(None, 4, 5),
    ]
    r = report(counts, since=NOW, until=NOW)
    assert r.overall.distribution == (1, 0, 2, 5, 2)
    assert r.overall.count == 10 and r.overall.average == 3.7
    assert [(s.agent_id, s.count) for s in r.agents] == [("b", 3), ("a", 2), (None, 5)]
    assert Satisfaction(None, (0, 0, 0, 0, 0)).average is None


async def test_the_report_defaults_to_the_last_30_days() -> None:
    bench, _ = await _bench()
    p = bench.people
    case = await resolved_case(bench)
    await rate_case(bench.services, p.customer, case.id, 4, None)
    bench.clock.advance(days=29)
    report = await satisfaction_report(bench.services, p.agent)
    assert (report.since, report.until) == (
        bench.clock.now() - DEFAULT_REPORT_PERIOD,
        bench.clock.now(),
    )
    assert report.overall.count == 1
    bench.clock.advance(days=2)
    assert (await satisfaction_report(bench.services, p.agent)).overall.count == 0
    # A given end: the 30 days before it.
    until = NOW + DEFAULT_REPORT_PERIOD / 2
    report = await satisfaction_report(bench.services, p.agent, until=until)
    assert (report.since, report.overall.count) == (until - DEFAULT_REPORT_PERIOD, 1)


def test_macro_cursors_round_trip() -> None:
    from domain.macros import Macro

    macro = Macro("id-1", "Ünïcode title", "x", "u", "u", NOW, NOW)
    assert decode_cursor(encode_cursor(macro)) == ("Ünïcode title", "id-1")


async def test_a_failed_commit_posts_nothing_and_changes_no_status() -> None:
    bench, store = await _bench()
    p = bench.people
    case = await open_for(bench)
    macro = await create_macro(bench.services, p.agent, "Resolve", "Done.")
    store.fail_next_commit = RuntimeError("the database went away at COMMIT")
    messages, events = dict(store.messages), list(store.events)
    with pytest.raises(RuntimeError):
        await apply_macro(bench.services, p.agent, case.id, macro.id, status=CaseStatus.RESOLVED)
    assert store.messages == messages and store.events == events
    assert store.cases[case.id].status is CaseStatus.OPEN
