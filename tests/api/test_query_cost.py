"""Query cost limits (app.graphql.cost) over HTTP and WebSocket: the README's examples cost what
it says, an operation over the maximum is refused before any SQL runs, a caller past its budget
gets 429 / RATE_LIMITED (and an `error` message over the WebSocket), and the validation cache
hits. Across two processes sharing Redis: tests/api/test_shared_budget.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.sql.db import count_statements
from adapters.sql.migrate import upgrade_to_head
from app.settings import Settings
from tests.api.conftest import Api, running_api
from tests.toolbox.ws import asgi_ws

README = Path(__file__).resolve().parents[2] / "README.md"
HUNDRED_BY_HUNDRED = (
    "{ supportCases(first: 100) { edges { node { id "
    "messages(first: 100) { edges { node { id body author { id } } } } } } } }"
)


def documented_examples() -> list[tuple[int, str]]:
    """The README's ```graphql blocks of "Rate limits and query cost" starting `# cost: N`."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Rate limits and query cost", 1)[1].split("\n## ", 1)[0]
    found = []
    for block in re.findall(r"```graphql\n(.*?)```", section, re.DOTALL):
        match = re.match(r"# cost: (\d+)\n", block)
        assert match, f"an example without its cost: {block[:80]!r}"
        found.append((int(match.group(1)), block[match.end() :]))
    return found


EXAMPLES = documented_examples()


def test_the_readme_documents_examples() -> None:
    costs = [cost for cost, _ in EXAMPLES]
    assert len(costs) >= 4 and min(costs) <= 1 and max(costs) > 10_000, costs


@pytest.mark.parametrize(("cost", "query"), EXAMPLES, ids=[str(c) for c, _ in EXAMPLES])
async def test_the_cost_in_extensions_is_the_documented_one(
    api: Api, cost: int, query: str
) -> None:
    token = await api.token("agent@example.com")
    response = await api.gql.raw(query, token=token)
    body = response.json()
    report = body["extensions"]["cost"]
    assert report["requested"] == cost, body
    assert report["limit"] == api.settings.cost_budget_staff
    assert int(response.headers["RateLimit-Limit"]) == report["limit"]
    assert int(response.headers["RateLimit-Remaining"]) == report["remaining"]
    assert int(response.headers["RateLimit-Reset"]) == report["resetSeconds"]
    if cost > api.settings.cost_max_per_operation:
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY", body
        assert error["extensions"]["cost"] == cost


async def test_a_100_by_100_query_is_refused_before_any_sql_runs(api: Api) -> None:
    token = await api.token("agent@example.com")
    with count_statements(api.runtime.engine) as anonymous:
        response = await api.gql.raw(HUNDRED_BY_HUNDRED)
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert anonymous.statements == []
    # Logged in: only what authenticating the token costs (its session check), as for a query
    # that touches nothing.
    with count_statements(api.runtime.engine) as baseline:
        await api.gql.raw("{ __typename }", token=token)
    with count_statements(api.runtime.engine) as refused:
        body = (await api.gql.raw(HUNDRED_BY_HUNDRED, token=token)).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert body["errors"][0]["extensions"]["cost"] > api.settings.cost_max_per_operation
    assert len(refused.statements) == len(baseline.statements) <= 1, refused.statements


async def test_a_variable_first_is_costed_with_its_value(api: Api) -> None:
    token = await api.token("agent@example.com")
    query = "query($n: Int!) { supportCases(first: $n) { edges { node { id } } } }"
    for n, cost in ((1, 3), (40, 81)):
        body = (await api.gql.raw(query, {"n": n}, token=token)).json()
        assert body["extensions"]["cost"]["requested"] == cost, body


async def test_the_validation_cache_hits(api: Api) -> None:
    cache = api.app.state.graphql.view.schema.validated  # app.graphql.extensions
    token = await api.token("agent@example.com")
    query = "{ viewer { id name } supportCases(first: 3) { totalCount } }"
    await api.gql.ok(query, token=token)
    hits, misses = cache.hits, cache.misses
    for _ in range(3):
        await api.gql.ok(query, token=token)
    assert (cache.hits - hits, cache.misses - misses) == (3, 0)


# -- a caller past its budget (one process, in-process budget) --------------------------------


@pytest.fixture
async def tight(tmp_path: Path) -> AsyncIterator[Api]:
    """The embedded mode (no Redis: in-process budgets) with 100-point budgets that hardly
    refill (1 point in 100 s), so a test can exhaust one and read exact figures."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tight.db'}"
    await upgrade_to_head(url)
    settings = Settings(
        app_env="test",
        database_url=url,
        data_dir=tmp_path,
        login_attempts_per_minute=1000,
        cost_max_per_operation=100,
        cost_budget_customer=100,
        cost_refill_per_second_customer=0.01,
        cost_budget_staff=100,
        cost_refill_per_second_staff=0.01,
        trusted_proxies="10.0.0.0/8",
        run_embedded_worker=False,
        run_sla_scheduler=False,
    )
    async with running_api(settings, client_host="127.0.0.77") as tight:
        yield tight


FORTY = "{ supportCases(first: 40) { edges { node { id } } } }"  # 81 points


async def test_past_its_budget_a_caller_gets_429_and_rate_limited(tight: Api) -> None:
    token = await tight.gql.login("alice@example.com")
    first = await tight.gql.raw(FORTY, token=token)
    assert first.status_code == 200
    assert first.json()["extensions"]["cost"]["requested"] == 81
    assert (
        int(first.headers["RateLimit-Remaining"])
        == first.json()["extensions"]["cost"]["remaining"]
        == 19
    )
    refused = await tight.gql.raw(FORTY, token=token)
    assert refused.status_code == 429
    body = refused.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    wait = error["extensions"]["retryAfterSeconds"]
    assert wait >= 6000 and int(refused.headers["Retry-After"]) == wait  # 62 points at 0.01/s
    assert body["extensions"]["cost"]["remaining"] == 19  # a refusal spends nothing
    # Cheaper operations still fit; another caller (an agent) has its own budget.
    assert (await tight.gql.raw("{ viewer { id } }", token=token)).status_code == 200
    agent = await tight.gql.login("agent@example.com")
    assert (await tight.gql.raw(FORTY, token=agent)).status_code == 200


async def test_a_subscription_past_the_budget_gets_an_error_message(tight: Api) -> None:
    token = await tight.gql.login("alice@example.com")
    spent = await tight.gql.raw(
        "{ supportCases(first: 47) { edges { node { id } } } }", token=token
    )  # 95 points: 5 left, a subscription costs 10 + its selection
    assert spent.status_code == 200, spent.text
    async with asgi_ws(tight.app) as ws:
        await ws.init_ok(token)
        await ws.subscribe("s1", "subscription { caseEvents { id } }")
        message = await ws.next_for("s1")
        assert message["type"] == "error", message
        (error,) = message["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED", message
        assert error["extensions"]["retryAfterSeconds"] >= 1
        # A query over the socket is metered the same way, and a cheap one is served.
        await ws.send({"id": "q1", "type": "subscribe", "payload": {"query": "{ viewer { id } }"}})
        served = await ws.next_for("q1")
        assert served["type"] == "next" and served["payload"]["data"]["viewer"]["id"], served


# -- client identity: X-Forwarded-For through trusted proxies only --------------------------


async def _remaining(app: Any, peer: str, forwarded_for: str | None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    transport = httpx.ASGITransport(app=app, client=(peer, 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://tight.test") as http:
        response = await http.post(
            "/graphql", json={"query": "{ viewer { id } }"}, headers=headers
        )  # anonymous: 1 point from the client IP's bucket
    return int(response.headers["RateLimit-Remaining"])


async def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    tight: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="app.http")
    assert await _remaining(tight.app, "192.0.2.10", "198.51.100.1") == 99
    # Another "client" claimed by the same untrusted peer: still the peer's bucket.
    assert await _remaining(tight.app, "192.0.2.10", "198.51.100.2") == 98
    assert await _remaining(tight.app, "192.0.2.10", "10.0.0.1, 198.51.100.3") == 97
    assert "client 192.0.2.10" in caplog.text and "198.51.100" not in caplog.text


async def test_through_a_trusted_hop_the_forwarded_client_is_used(
    tight: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="app.http")
    assert await _remaining(tight.app, "10.1.2.3", "203.0.113.7") == 99
    assert await _remaining(tight.app, "10.1.2.3", "203.0.113.8") == 99  # another client
    assert await _remaining(tight.app, "10.1.2.3", "203.0.113.7") == 98
    # Right to left, trusted hops skipped, stopping at the first untrusted one: what the
    # client wrote itself (the leftmost, spoofed entry) is never used.
    assert await _remaining(tight.app, "10.1.2.3", "6.6.6.6, 203.0.113.7, 10.9.9.9") == 97
    assert "client 203.0.113.7" in caplog.text and "6.6.6.6" not in caplog.text


async def test_a_sane_request_id_is_kept_and_others_are_replaced(tight: Api) -> None:
    kept = await tight.http.get("/healthz", headers={"X-Request-ID": "lb-3f2a9c1e-77"})
    assert kept.headers["X-Request-ID"] == "lb-3f2a9c1e-77"
    for bad in ("short", "has space in it", "x" * 129, "semi;colon-1234", b"caf\xe9-latin1-id"):
        answered = await tight.http.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{16}", answered.headers["X-Request-ID"]), bad


async def test_a_subscription_reports_its_cost_once_when_it_starts(api: Api) -> None:
    from tests.api._helpers import open_case, post_message

    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    case = await open_case(api, customer.token, subject="Cost of a subscription")
    await post_message(api, customer.token, case["id"], "Hello")
    query = (
        "subscription($c: ID, $a: String) { caseEvents(caseId: $c, after: $a) { id actor { id } } }"
    )
    async with asgi_ws(api.app) as ws:
        await ws.init_ok(agent)
        await ws.subscribe("s", query, {"c": case["id"], "a": "0"})
        first, second = (await ws.next_for("s")), (await ws.next_for("s"))
    assert first["type"] == second["type"] == "next", (first, second)
    assert first["payload"]["extensions"]["cost"]["requested"] == 10 + 1 + 1, first
    assert "extensions" not in second["payload"] or not second["payload"]["extensions"], second


class _BrokenBudget:
    async def spend(self, key: str, cost: int, policy: Any) -> Any:
        raise RuntimeError("handler is closed")  # what redis-py under uvloop raises when down


async def test_an_unreachable_budget_store_serves_unmetered(
    tight: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = await tight.gql.login("alice@example.com")
    monkeypatch.setattr(tight.app.state.graphql.view, "cost_budget", _BrokenBudget())
    for _ in range(3):  # more than the 100-point budget would allow
        response = await tight.gql.raw(FORTY, token=token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        assert body["extensions"]["cost"] == {
            "requested": 81,
            "remaining": None,
            "limit": None,
            "resetSeconds": None,
        }
        assert "RateLimit-Remaining" not in response.headers
    assert "cost budget unavailable" in caplog.text
    # Still refused: what is over the per-operation maximum (no store needed for that).
    over = await tight.gql.raw("{ supportCases(first: 60) { edges { node { id } } } }", token=token)
    assert over.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
