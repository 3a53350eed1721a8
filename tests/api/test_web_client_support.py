"""Fields the web client needs: where to start a live stream, and who may approve a refund."""

from __future__ import annotations

from tests.api._helpers import codes, gid, open_case, post_message, request_refund
from tests.api.conftest import Api

LATEST = "query($caseId: ID) { latestCaseEventCursor(caseId: $caseId) }"
TIMELINE = """query($id: ID!) { supportCase(id: $id) {
  timeline(first: 100) { edges { cursor node { type } } } } }"""


async def _latest(api: Api, token: str, case_id: str | None) -> dict[str, object]:
    return await api.gql(LATEST, {"caseId": case_id}, token)


async def test_latest_cursor_is_the_newest_event_the_caller_may_see(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    await post_message(api, customer.token, case["id"], "Hello?")
    public_head = (await _latest(api, customer.token, case["id"]))["data"]
    timeline = (await api.gql.ok(TIMELINE, {"id": case["id"]}, agent))["supportCase"]["timeline"]
    assert public_head == {"latestCaseEventCursor": timeline["edges"][-1]["cursor"]}

    # An internal note moves the staff's start, never the customer's.
    await post_message(api, agent, case["id"], "note to self", internal=True)
    staff_head = (await _latest(api, agent, case["id"]))["data"]["latestCaseEventCursor"]
    assert int(staff_head) > int(public_head["latestCaseEventCursor"])
    assert (await _latest(api, customer.token, case["id"]))["data"] == public_head

    # Staff may ask for the head of every case; it is at least this case's.
    every = (await _latest(api, agent, None))["data"]["latestCaseEventCursor"]
    assert int(every) >= int(staff_head)


async def test_latest_cursor_keeps_other_cases_and_the_global_head_private(api: Api) -> None:
    owner = await api.new_customer()
    other = await api.new_customer()
    case = await open_case(api, owner.token, owner.order_ids["delivered"])
    # Someone else's case looks exactly like a case that does not exist.
    assert (await _latest(api, other.token, case["id"]))["data"] == {"latestCaseEventCursor": None}
    missing = gid("SupportCase", "00000000-0000-0000-0000-000000000000")
    assert (await _latest(api, other.token, missing))["data"] == {"latestCaseEventCursor": None}
    # A customer may not learn the head of the whole log.
    assert codes(await _latest(api, other.token, None)) == ["FORBIDDEN"]
    assert codes(await api.gql(LATEST, {"caseId": None})) == ["UNAUTHENTICATED"]


async def test_refund_says_when_only_an_admin_may_approve_it(api: Api) -> None:
    customer = await api.new_customer()
    big = await open_case(api, customer.token, customer.order_ids["big"])
    small = await open_case(api, customer.token, customer.order_ids["delivered"])
    above = await request_refund(api, customer.token, big["id"], reason="DAMAGED", amount=60000)
    below = await request_refund(api, customer.token, small["id"], reason="DAMAGED", amount=5000)
    query = "query($id: ID!) { node(id: $id) { ... on Refund { requiresAdminApproval } } }"
    for refund, expected in ((above, True), (below, False)):
        assert refund["__typename"] == "RefundRequested", refund
        data = await api.gql.ok(query, {"id": refund["refund"]["id"]}, customer.token)
        assert data["node"] == {"requiresAdminApproval": expected}
