"""MessagePosted.postedMessage sits beside `... on Error { message code }` without an alias; the
deprecated `message` keeps answering the same message for existing clients."""

from __future__ import annotations

from tests.api._helpers import open_case
from tests.api.conftest import Api

# No alias: this selection was invalid while MessagePosted.message was the only field.
POST = """
mutation($input: PostMessageInput!) { postMessage(input: $input) {
  __typename
  ... on MessagePosted { postedMessage { id body internal } supportCase { id } }
  ... on Error { message code }
}}"""
POST_OLD_FIELD = """
mutation($input: PostMessageInput!) { postMessage(input: $input) {
  __typename
  ... on MessagePosted { postedMessage { id } old: message { id body } }
}}"""
CLASHING = """
mutation($input: PostMessageInput!) { postMessage(input: $input) {
  ... on MessagePosted { message { id } }
  ... on Error { message code }
}}"""


async def test_posted_message_needs_no_alias(api: Api) -> None:
    customer = await api.new_customer()
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    data = await api.gql.ok(
        POST, {"input": {"caseId": case["id"], "body": "Any news?"}}, customer.token
    )
    result = data["postMessage"]
    assert result["__typename"] == "MessagePosted", result
    assert result["postedMessage"]["body"] == "Any news?"
    assert result["postedMessage"]["internal"] is False
    assert result["supportCase"]["id"] == case["id"]

    # An error member of the same selection fills Error's message (a String).
    missing = await api.gql.ok(
        POST, {"input": {"caseId": "U3VwcG9ydENhc2U6bm9wZQ", "body": "x"}}, customer.token
    )
    assert missing["postMessage"]["__typename"] == "NotFound"
    assert isinstance(missing["postMessage"]["message"], str)


async def test_the_deprecated_field_still_answers(api: Api) -> None:
    customer = await api.new_customer()
    case = await open_case(api, customer.token, customer.order_ids["delivered"])
    data = await api.gql.ok(
        POST_OLD_FIELD, {"input": {"caseId": case["id"], "body": "Still there?"}}, customer.token
    )
    result = data["postMessage"]
    assert result["old"] == {"id": result["postedMessage"]["id"], "body": "Still there?"}


async def test_the_old_clash_is_still_refused_by_graphql(api: Api) -> None:
    # Why the new field exists: without an alias the old field cannot sit beside Error.
    customer = await api.new_customer()
    body = await api.gql(CLASHING, {"input": {"caseId": "x", "body": "x"}}, customer.token)
    assert body.get("data") is None
    assert any("message" in e["message"] for e in body["errors"]), body
