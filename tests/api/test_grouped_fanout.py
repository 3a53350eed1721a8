"""Issue 10: live events are executed once per group of subscribers that get the same bytes
(same document, variables and audience: app.graphql.shared_events), and a group never carries
what one of its members may not see: customers and staff following the same case with the same
document and variables are different groups; a customer never receives an internal note or
another customer's event. Mixed roles in one process, several members per group."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from tests.api._helpers import open_case, post_message
from tests.api.conftest import Api
from tests.toolbox.graphql import CASE_EVENTS
from tests.toolbox.ws import GqlWs, asgi_ws


async def drain_until(ws: GqlWs, op: str, body: str) -> list[dict[str, Any]]:
    """The events of `op` up to and including the one whose message body is `body`."""
    got: list[dict[str, Any]] = []
    while True:
        (event,) = await ws.events(op, 1)
        got.append(event)
        if (event.get("message") or {}).get("body") == body:
            return got


async def test_a_grouped_fan_out_never_gives_a_customer_what_is_not_hers(api: Api) -> None:
    shared = api.app.state.graphql.view.live.shared
    assert shared is not None, "SUBSCRIPTION_GROUPING is on by default"
    agent = await api.token("agent@example.com")
    sam = await api.token("sam@example.com")
    admin = await api.token("admin@example.com")
    alice = await api.new_customer("Alice Grouped")
    bob = await api.new_customer("Bob Grouped")
    case_a = (await open_case(api, alice.token, subject="Alice's grouped case"))["id"]
    case_b = (await open_case(api, bob.token, subject="Bob's grouped case"))["id"]

    # (name, token, variables): the same document everywhere.
    plan = [
        ("agent all", agent, {}),
        ("sam all", sam, {}),  # same role, document and variables as "agent all": one group
        ("admin all", admin, {}),
        ("agent on A", agent, {"caseId": case_a}),
        ("alice", alice.token, {"caseId": case_a}),  # same document and variables as "agent on A"
        ("alice again", alice.token, {"caseId": case_a}),
        ("bob", bob.token, {"caseId": case_b}),
    ]
    async with contextlib.AsyncExitStack() as stack:
        sockets: dict[str, GqlWs] = {}
        for name, token, variables in plan:
            ws = await stack.enter_async_context(asgi_ws(api.app))
            await ws.init_ok(token)
            await ws.subscribe("live", CASE_EVENTS, variables)
            sockets[name] = ws
        cases_of = {name: ({case_a, case_b} if not v else {v["caseId"]}) for name, _, v in plan}

        # Live "from now": messages are posted until every subscriber has received one (then
        # each stream is read up to the same marker, so that every one starts clean).
        stop = asyncio.Event()

        async def keep_posting() -> None:
            while not stop.is_set():
                for case_id in (case_a, case_b):
                    await post_message(api, agent, case_id, "warm-up")
                await asyncio.sleep(0.2)

        poster = asyncio.create_task(keep_posting())
        try:
            for ws in sockets.values():
                await ws.events("live", 1)
        finally:
            stop.set()
            await poster
        marker = f"marker {uuid.uuid4().hex[:6]}"
        for case_id in (case_a, case_b):
            await post_message(api, agent, case_id, f"{marker} {case_id}")
        for name, ws in sockets.items():
            for case_id in (case_a, case_b):  # in the order they were posted
                if case_id in cases_of[name]:
                    await drain_until(ws, "live", f"{marker} {case_id}")
        assert len(shared.groups) == 5, list(shared.groups)  # 7 subscriptions, 5 groups

        executed, delivered = shared.executions, shared.deliveries
        await post_message(api, agent, case_a, "INTERNAL: refund looks fishy", internal=True)
        await post_message(api, agent, case_a, "public A")
        await post_message(api, agent, case_b, "public B")
        await post_message(api, agent, case_b, "sentinel B")
        await post_message(api, agent, case_a, "sentinel A")
        await post_message(api, agent, case_b, "final B")

        got = {
            name: await drain_until(
                ws, "live", "final B" if case_b in cases_of[name] else "sentinel A"
            )
            for name, ws in sockets.items()
        }
        for name in ("alice", "alice again", "bob"):
            own = cases_of[name]
            for event in got[name]:
                assert event["supportCase"]["id"] in own, (name, event)
                assert not (event.get("message") or {}).get("internal"), (name, event)
            assert "fishy" not in json.dumps(got[name]), name
        bodies = {
            name: [(e.get("message") or {}).get("body") for e in events]
            for name, events in got.items()
        }
        assert bodies["alice"] == bodies["alice again"] == ["public A", "sentinel A"]
        assert bodies["bob"] == ["public B", "sentinel B", "final B"]
        # The controls: staff get the note, through the very same documents and variables.
        assert "INTERNAL: refund looks fishy" in bodies["agent on A"]
        assert got["agent all"] == got["sam all"]  # one group, the same payloads
        assert bodies["admin all"] == bodies["agent all"]
        assert [b for b in bodies["agent all"] if b] == [
            "INTERNAL: refund looks fishy",
            "public A",
            "public B",
            "sentinel B",
            "sentinel A",
            "final B",
        ]
        # Executed once per group and event, delivered once per member.
        executions = shared.executions - executed
        deliveries = shared.deliveries - delivered
        assert deliveries == sum(len(events) for events in got.values())
        assert executions < deliveries
        for ws in sockets.values():  # nothing left over on any socket
            assert not any(ws.backlog.values()), ws.backlog
