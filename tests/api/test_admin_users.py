"""User administration over the ASGI app on PostgreSQL: the admin mutations, the audit log, a
deactivated agent's tokens refused at once, and non-admins refused.

Every test administers users it creates itself: the seeded admin and agent are shared."""

from __future__ import annotations

from typing import Any

from tests.api._helpers import codes, unique
from tests.api.conftest import Api
from tests.api.test_tokens_over_http import (
    REFRESH,
    assert_unauthenticated,
    login,
    viewer_status,
)

PASSWORD = "agent-password-1"

USER_FIELDS = "user { id name email role active }"

CREATE = f"""mutation($input: CreateUserInput!) {{ createUser(input: $input) {{
  __typename
  ... on UserCreated {{ {USER_FIELDS} }}
  ... on ValidationFailed {{ fields {{ field message }} }}
  ... on Error {{ message code }}
}}}}"""


def _mutation(name: str, input_type: str, *, validates: bool = True) -> str:
    invalid = "... on ValidationFailed { fields { field message } }" if validates else ""
    return f"""mutation($input: {input_type}!) {{ {name}(input: $input) {{
  __typename
  ... on UserUpdated {{ {USER_FIELDS} }}
  {invalid}
  ... on Error {{ message code }}
}}}}"""


CHANGE_ROLE = _mutation("changeUserRole", "ChangeUserRoleInput")
DEACTIVATE = _mutation("deactivateUser", "DeactivateUserInput")
REACTIVATE = _mutation("reactivateUser", "ReactivateUserInput", validates=False)
RESET_PASSWORD = _mutation("resetUserPassword", "ResetUserPasswordInput")

AUDIT_LOG = """query($first: Int, $after: String) { auditLog(first: $first, after: $after) {
  edges { cursor node { id action actorLabel actor { id } targetUser { id }
    occurredAt details { key value } } }
  pageInfo { hasNextPage endCursor }
}}"""


async def _admin(api: Api) -> str:
    return await api.token("admin@example.com")


async def _create_agent(api: Api, **overrides: Any) -> dict[str, Any]:
    values = {
        "email": f"  {unique('Agent-')}@Example.com ",
        "name": "New Agent",
        "role": "AGENT",
        "password": PASSWORD,
        **overrides,
    }
    data = await api.gql.ok(CREATE, {"input": values}, await _admin(api))
    result: dict[str, Any] = data["createUser"]
    return result


async def _audit(api: Api, first: int = 20) -> list[dict[str, Any]]:
    data = await api.gql.ok(AUDIT_LOG, {"first": first}, await _admin(api))
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def test_create_user_and_the_audit_entry(api: Api) -> None:
    created = await _create_agent(api)
    assert created["__typename"] == "UserCreated", created
    user = created["user"]
    assert user["email"] == user["email"].strip().lower() and user["role"] == "AGENT"
    assert user["active"] is True
    session = await login(api, user["email"], PASSWORD)
    assert session["__typename"] == "AuthSession"

    [entry] = [e for e in await _audit(api) if (e["targetUser"] or {}).get("id") == user["id"]]
    admin_id = (await api.gql.ok("{ viewer { id } }", token=await _admin(api)))["viewer"]["id"]
    assert entry["action"] == "USER_CREATED"
    assert entry["actor"] == {"id": admin_id} and entry["actorLabel"] == admin_id
    assert {d["key"]: d["value"] for d in entry["details"]} == {
        "email": user["email"],
        "role": "AGENT",
    }
    assert PASSWORD not in str(entry)

    again = await _create_agent(api, email=user["email"].upper())
    assert again["__typename"] == "ValidationFailed", again
    assert [f["field"] for f in again["fields"]] == ["email"]


async def test_customers_need_an_order_system_id_and_passwords_follow_the_rules(
    api: Api,
) -> None:
    no_id = await _create_agent(api, role="CUSTOMER")
    assert [f["field"] for f in no_id["fields"]] == ["externalCustomerId"], no_id
    short = await _create_agent(api, password="short")
    assert [f["field"] for f in short["fields"]] == ["password"], short
    customer = await _create_agent(api, role="CUSTOMER", externalCustomerId=unique("cust-"))
    assert customer["__typename"] == "UserCreated", customer
    assert customer["user"]["role"] == "CUSTOMER"


async def test_deactivated_agent_is_refused_at_once_and_reactivation(api: Api) -> None:
    user = (await _create_agent(api))["user"]
    session = await login(api, user["email"], PASSWORD)
    bearer = f"Bearer {session['accessToken']}"
    assert (await viewer_status(api, bearer)).status_code == 200

    out = await api.gql.ok(DEACTIVATE, {"input": {"userId": user["id"]}}, await _admin(api))
    assert out["deactivateUser"]["__typename"] == "UserUpdated", out
    assert out["deactivateUser"]["user"]["active"] is False

    assert_unauthenticated(await viewer_status(api, bearer))  # the next request
    refresh = (await api.gql.ok(REFRESH, {"t": session["refreshToken"]}))["refreshSession"]
    assert refresh["__typename"] == "InvalidRefreshToken"
    relogin = await login(api, user["email"], PASSWORD)
    assert relogin["__typename"] == "InvalidCredentials"

    back = await api.gql.ok(REACTIVATE, {"input": {"userId": user["id"]}}, await _admin(api))
    assert back["reactivateUser"]["user"]["active"] is True
    assert_unauthenticated(await viewer_status(api, bearer))  # old sessions stay ended
    assert (await login(api, user["email"], PASSWORD))["__typename"] == "AuthSession"

    actions = [
        e["action"] for e in await _audit(api) if (e["targetUser"] or {}).get("id") == user["id"]
    ]
    assert actions == ["USER_REACTIVATED", "USER_DEACTIVATED", "USER_CREATED"]  # newest first


async def test_role_change_and_password_reset_end_sessions(api: Api) -> None:
    user = (await _create_agent(api))["user"]
    session = await login(api, user["email"], PASSWORD)
    bearer = f"Bearer {session['accessToken']}"
    admin = await _admin(api)

    out = await api.gql.ok(CHANGE_ROLE, {"input": {"userId": user["id"], "role": "ADMIN"}}, admin)
    assert out["changeUserRole"]["user"]["role"] == "ADMIN", out
    assert_unauthenticated(await viewer_status(api, bearer))

    session = await login(api, user["email"], PASSWORD)
    bearer = f"Bearer {session['accessToken']}"
    new_password = "a-brand-new-password"
    out = await api.gql.ok(
        RESET_PASSWORD, {"input": {"userId": user["id"], "password": new_password}}, admin
    )
    assert out["resetUserPassword"]["__typename"] == "UserUpdated", out
    assert_unauthenticated(await viewer_status(api, bearer))
    assert (await login(api, user["email"], PASSWORD))["__typename"] == "InvalidCredentials"
    assert (await login(api, user["email"], new_password))["__typename"] == "AuthSession"

    entries = [e for e in await _audit(api) if (e["targetUser"] or {}).get("id") == user["id"]]
    assert [e["action"] for e in entries] == [
        "USER_PASSWORD_RESET",
        "USER_ROLE_CHANGED",
        "USER_CREATED",
    ]
    assert {d["key"]: d["value"] for d in entries[1]["details"]} == {
        "before": "AGENT",
        "after": "ADMIN",
    }
    assert entries[0]["details"] == []
    assert new_password not in str(entries)


async def test_an_admin_cannot_deactivate_or_demote_themselves(api: Api) -> None:
    user = (await _create_agent(api, role="ADMIN"))["user"]
    own = await api.gql.login(user["email"], PASSWORD)
    for query, extra, name in (
        (DEACTIVATE, {}, "deactivateUser"),
        (CHANGE_ROLE, {"role": "AGENT"}, "changeUserRole"),
    ):
        out = await api.gql.ok(query, {"input": {"userId": user["id"], **extra}}, own)
        assert out[name]["__typename"] == "ValidationFailed", out
        assert "yourself" in out[name]["fields"][0]["message"]
    assert (await viewer_status(api, f"Bearer {own}")).status_code == 200


async def test_unknown_users_are_not_found(api: Api) -> None:
    from tests.api._helpers import gid

    out = await api.gql.ok(
        DEACTIVATE, {"input": {"userId": gid("User", "nobody")}}, await _admin(api)
    )
    assert out["deactivateUser"]["__typename"] == "NotFound", out


async def test_audit_log_pages_newest_first(api: Api) -> None:
    for _ in range(3):
        await _create_agent(api)
    admin = await _admin(api)
    first = (await api.gql.ok(AUDIT_LOG, {"first": 2}, admin))["auditLog"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    second = (
        await api.gql.ok(AUDIT_LOG, {"first": 2, "after": first["pageInfo"]["endCursor"]}, admin)
    )["auditLog"]
    times = [e["node"]["occurredAt"] for e in first["edges"] + second["edges"]]
    assert times == sorted(times, reverse=True)
    ids = [e["node"]["id"] for e in first["edges"] + second["edges"]]
    assert len(set(ids)) == 4
    bad = await api.gql(AUDIT_LOG, {"first": 2, "after": "not-a-cursor"}, admin)
    assert bad.get("errors"), bad


async def test_non_admins_are_refused(api: Api) -> None:
    customer = await api.new_customer()
    agent = await api.token("agent@example.com")
    target = (await _create_agent(api))["user"]
    for token in (customer.token, agent, None):
        for query, variables, name in (
            (
                CREATE,
                {
                    "input": {
                        "email": f"{unique()}@example.com",
                        "name": "X",
                        "role": "ADMIN",
                        "password": PASSWORD,
                    }
                },
                "createUser",
            ),
            (CHANGE_ROLE, {"input": {"userId": target["id"], "role": "ADMIN"}}, "changeUserRole"),
            (DEACTIVATE, {"input": {"userId": target["id"]}}, "deactivateUser"),
            (REACTIVATE, {"input": {"userId": target["id"]}}, "reactivateUser"),
            (
                RESET_PASSWORD,
                {"input": {"userId": target["id"], "password": "hijacked-password"}},
                "resetUserPassword",
            ),
            (AUDIT_LOG, {"first": 5}, "auditLog"),
        ):
            body = await api.gql(query, variables, token)
            expected = ["FORBIDDEN"] if token else ["UNAUTHENTICATED"]
            assert codes(body) == expected, (name, body)
            assert (body.get("data") or {}).get(name) is None, body
    assert (await login(api, target["email"], PASSWORD))["__typename"] == "AuthSession"
    entries = [e for e in await _audit(api) if (e["targetUser"] or {}).get("id") == target["id"]]
    assert [e["action"] for e in entries] == ["USER_CREATED"]
