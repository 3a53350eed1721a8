"""Macros and ratings over GraphQL (PostgreSQL + Redis): the result unions, the permissions,
SupportCase.satisfaction / ratingWindowEndsAt, the report, and CASE_RATED reaching the timeline
and a live subscriber."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.macros import PLACEHOLDERS
from domain.users import Role
from tests.api._helpers import codes, gid, open_case, unique
from tests.api.conftest import Api
from tests.toolbox import graphql as docs
from tests.toolbox.ws import asgi_ws

EVERY = " | ".join(p.token for p in PLACEHOLDERS)


async def create(api: Api, token: str, title: str, body: str) -> dict[str, Any]:
    data = await api.gql.ok(docs.CREATE_MACRO, {"input": {"title": title, "body": body}}, token)
    result: dict[str, Any] = data["createMacro"]
    return result


async def resolve(api: Api, token: str, case_id: str) -> None:
    data = await api.gql.ok(
        docs.CHANGE_STATUS, {"input": {"caseId": case_id, "status": "RESOLVED"}}, token
    )
    assert data["changeCaseStatus"]["__typename"] == "CaseUpdated", data


async def test_a_macro_is_saved_previewed_and_applied_with_a_status_change(api: Api) -> None:
    agent_id, agent = await api.new_staff(name="Mia Macro")
    customer = await api.new_customer("Carl Customer")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])

    refused = await create(api, agent, "Broken", "Hello {{customer_name}} {{coupon_code}}")
    assert refused["__typename"] == "ValidationFailed"
    assert refused["fields"] == [
        {"field": "body", "message": "unknown placeholder {{coupon_code}}"}
    ]

    saved = await create(api, agent, unique("Everything "), EVERY)
    assert saved["__typename"] == "MacroSaved", saved
    macro = saved["macro"]
    assert [p["name"] for p in macro["placeholders"]] == [p.name for p in PLACEHOLDERS]
    assert macro["needsOrder"] is True and macro["createdBy"]["id"] == gid("User", agent_id)

    preview = await api.gql.ok(
        docs.MACRO_PREVIEW, {"caseId": case["id"], "macroId": macro["id"]}, agent
    )
    rendered = preview["macroPreview"]["renderedBody"]
    order = api.orders.orders[customer.order_ids["delivered"]]
    assert rendered == " | ".join(
        [
            "Carl Customer",
            customer.email,
            case["number"],
            "Broken item",
            "Mia Macro",
            order["number"],
            "USD 120.00",
            "USD 120.00",
        ]
    )
    unsaved = await api.gql.ok(
        docs.MACRO_PREVIEW, {"caseId": case["id"], "body": "{{nope}}"}, agent
    )
    assert unsaved["macroPreview"]["__typename"] == "ValidationFailed"

    # An illegal status change: nothing is posted.
    bad = await api.gql.ok(
        docs.APPLY_MACRO,
        {"input": {"caseId": case["id"], "macroId": macro["id"], "status": "WAITING_ON_CUSTOMER"}},
        agent,
    )
    assert bad["applyMacro"]["__typename"] == "InvalidTransition", bad
    messages = """query($id: ID!) { supportCase(id: $id) {
      status messages { edges { node { body } } } } }"""
    assert (await api.gql.ok(messages, {"id": case["id"]}, agent))["supportCase"]["messages"][
        "edges"
    ] == []
    applied = await api.gql.ok(
        docs.APPLY_MACRO,
        {
            "input": {
                "caseId": case["id"],
                "macroId": macro["id"],
                "status": "RESOLVED",
                "idempotencyKey": unique("key-"),
            }
        },
        agent,
    )
    result = applied["applyMacro"]
    assert result["__typename"] == "MacroApplied", result
    assert result["postedMessage"] == {
        "id": result["postedMessage"]["id"],
        "body": rendered,
        "internal": False,
    }
    assert result["supportCase"]["status"] == "RESOLVED"
    seen = await api.gql.ok(messages, {"id": case["id"]}, customer.token)
    assert seen["supportCase"]["status"] == "RESOLVED"
    assert [e["node"]["body"] for e in seen["supportCase"]["messages"]["edges"]] == [rendered]

    # Customers have no business with macros at all.
    for query, variables in (
        (docs.CREATE_MACRO, {"input": {"title": "x", "body": "y"}}),
        (docs.MACRO_PREVIEW, {"caseId": case["id"], "macroId": macro["id"]}),
        ("{ macros(first: 5) { edges { node { id } } } }", {}),
    ):
        assert codes(await api.gql(query, variables, customer.token)) == ["FORBIDDEN"]

    deleted = await api.gql.ok(docs.DELETE_MACRO, {"input": {"macroId": macro["id"]}}, agent)
    assert deleted["deleteMacro"] == {"__typename": "MacroDeleted", "deletedMacroId": macro["id"]}
    node = await api.gql.ok("query($id: ID!) { node(id: $id) { id } }", {"id": macro["id"]}, agent)
    assert node["node"] is None


async def test_macros_page_by_title_and_node_finds_them(api: Api) -> None:
    _, agent = await api.new_staff()
    prefix = unique("~page ")
    ids = [(await create(api, agent, f"{prefix} {c}", "Hello"))["macro"]["id"] for c in "cab"]
    query = """query($after: String) { macros(first: 100, after: $after) {
      edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }"""
    titles: list[str] = []
    after = None
    while True:
        page = (await api.gql.ok(query, {"after": after}, agent))["macros"]
        titles += [
            e["node"]["title"] for e in page["edges"] if e["node"]["title"].startswith(prefix)
        ]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert titles == [f"{prefix} a", f"{prefix} b", f"{prefix} c"]
    node = await api.gql.ok(
        "query($id: ID!) { node(id: $id) { __typename ... on Macro { title } } }",
        {"id": ids[0]},
        agent,
    )
    assert node["node"] == {"__typename": "Macro", "title": f"{prefix} c"}
    placeholders = await api.gql.ok("{ macroPlaceholders { name token needsOrder } }", token=agent)
    assert {p["token"] for p in placeholders["macroPlaceholders"]} == {
        p.token for p in PLACEHOLDERS
    }


async def test_a_rating_once_by_the_customer_after_resolution_reaches_timeline_and_live_feed(
    api: Api,
) -> None:
    agent_id, agent = await api.new_staff()
    customer = await api.new_customer()
    stranger = await api.new_customer()
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    await api.gql.ok(
        docs.ASSIGN, {"input": {"caseId": case["id"], "assigneeId": gid("User", agent_id)}}, agent
    )
    rate = {"input": {"caseId": case["id"], "score": 5, "comment": "Lovely"}}

    early = (await api.gql.ok(docs.RATE_CASE, rate, customer.token))["rateCase"]
    assert (early["__typename"], early["denial"]) == ("RatingNotAllowed", "NOT_RESOLVED")
    await resolve(api, agent, case["id"])
    fields = """query($id: ID!) { supportCase(id: $id) { ratingWindowEndsAt
      satisfaction { score comment agent { id } } } }"""
    before = (await api.gql.ok(fields, {"id": case["id"]}, customer.token))["supportCase"]
    ends = datetime.fromisoformat(before["ratingWindowEndsAt"])
    assert timedelta(days=6, hours=23) < ends - datetime.now(UTC) <= timedelta(days=7)
    assert before["satisfaction"] is None

    theirs = (await api.gql.ok(docs.RATE_CASE, rate, stranger.token))["rateCase"]
    assert theirs["__typename"] == "NotFound"
    assert codes(await api.gql(docs.RATE_CASE, rate, agent)) == ["FORBIDDEN"]

    async with asgi_ws(api.app) as ws:
        await ws.init_ok(agent)
        cursor = await api.gql.ok(
            "query($id: ID) { latestCaseEventCursor(caseId: $id) }", {"id": case["id"]}, agent
        )
        await ws.subscribe(
            "live",
            docs.CASE_EVENTS,
            {"caseId": case["id"], "after": cursor["latestCaseEventCursor"]},
        )
        rated = (await api.gql.ok(docs.RATE_CASE, rate, customer.token))["rateCase"]
        assert rated["__typename"] == "CaseRated", rated
        assert rated["rating"]["score"] == 5 and rated["rating"]["agent"] == {
            "id": gid("User", agent_id)
        }
        (event,) = await ws.events("live", 1)
        assert (event["type"], event["supportCase"]["id"]) == ("CASE_RATED", case["id"])
    again = (await api.gql.ok(docs.RATE_CASE, rate, customer.token))["rateCase"]
    assert (again["__typename"], again["denial"]) == ("RatingNotAllowed", "ALREADY_RATED")

    after = (await api.gql.ok(fields, {"id": case["id"]}, agent))["supportCase"]
    assert after["satisfaction"] == {
        "score": 5,
        "comment": "Lovely",
        "agent": {"id": gid("User", agent_id)},
    }
    timeline = """query($id: ID!) { supportCase(id: $id) { timeline(first: 50) {
      edges { node { type after actor { id } } } } } }"""
    entries = (await api.gql.ok(timeline, {"id": case["id"]}, customer.token))["supportCase"]
    last = entries["timeline"]["edges"][-1]["node"]
    assert (last["type"], last["after"]) == ("CASE_RATED", "5")
    assert last["actor"]["id"] == gid("User", customer.user_id)

    report = await api.gql.ok(docs.SATISFACTION_REPORT, {"agentId": gid("User", agent_id)}, agent)
    overall = report["satisfactionReport"]["overall"]
    assert (overall["count"], overall["average"]) == (1, 5.0)
    assert [d["count"] for d in overall["distribution"]] == [0, 0, 0, 0, 1]
    assert codes(await api.gql(docs.SATISFACTION_REPORT, {}, customer.token)) == ["FORBIDDEN"]
    _, admin = await api.new_staff(Role.ADMIN)
    whole = await api.gql.ok(docs.SATISFACTION_REPORT, {}, admin)
    assert gid("User", agent_id) in {
        (a["agent"] or {}).get("id") for a in whole["satisfactionReport"]["agents"]
    }
