"""User administration use cases over the memory adapters: admins only, audited, sessions end."""

from __future__ import annotations

import pytest

from domain.admin import CLI_ACTOR, AdminActor, AuditAction
from domain.errors import (
    Forbidden,
    InvalidAccessToken,
    InvalidCredentials,
    InvalidRefreshToken,
    NotFound,
    ValidationFailed,
)
from domain.usecases import admin_users as admin
from domain.usecases.sessions import authenticate, login, refresh_session, session_active
from domain.users import Role
from tests.unit.builders import ADMIN_ID, AGENT_ID, ALICE_ID, PASSWORD, World

NEW_PASSWORD = "a-new-password"


def _admin(world: World) -> AdminActor:
    return AdminActor.of(world.admin)


async def test_create_agent_normalizes_email_and_audits(world: World) -> None:
    user = await admin.create_user(
        world.services,
        _admin(world),
        email="  New.Agent@Example.COM ",
        name=" New Agent ",
        role=Role.AGENT,
        password=NEW_PASSWORD,
    )
    assert user.email == "new.agent@example.com" and user.name == "New Agent"
    assert user.active and user.external_customer_id is None
    tokens = await login(world.services, "new.agent@example.com", NEW_PASSWORD, client="c")
    assert tokens.user.role is Role.AGENT
    [entry] = world.store.audit_entries
    assert entry.action is AuditAction.USER_CREATED and entry.actor == ADMIN_ID
    assert entry.actor_id == ADMIN_ID and entry.target_user_id == user.id
    assert entry.details == {"email": "new.agent@example.com", "role": "AGENT"}
    assert NEW_PASSWORD not in repr(entry) and "fake$" not in repr(entry)


async def test_create_customer_needs_an_order_system_id(world: World) -> None:
    with pytest.raises(ValidationFailed) as info:
        await admin.create_user(
            world.services,
            _admin(world),
            email="c@example.com",
            name="C",
            role=Role.CUSTOMER,
            password=NEW_PASSWORD,
        )
    assert [f.field for f in info.value.fields] == ["externalCustomerId"]
    user = await admin.create_user(
        world.services,
        CLI_ACTOR,
        email="c@example.com",
        name="C",
        role=Role.CUSTOMER,
        password=NEW_PASSWORD,
        external_customer_id="cust-42",
    )
    assert user.external_customer_id == "cust-42"
    assert world.store.audit_entries[-1].actor == "cli"
    assert world.store.audit_entries[-1].actor_id is None


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("alice@example.com", NEW_PASSWORD, "email"),  # taken (normalized)
        ("ALICE@example.com ", NEW_PASSWORD, "email"),
        ("not-an-email", NEW_PASSWORD, "email"),
        ("x@example.com", "short", "password"),
        ("x@example.com", "x" * 1025, "password"),
    ],
)
async def test_create_user_refused(world: World, email: str, password: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        await admin.create_user(
            world.services, _admin(world), email=email, name="X", role=Role.AGENT, password=password
        )
    assert [f.field for f in info.value.fields] == [field]
    assert world.store.audit_entries == []


@pytest.mark.parametrize("who", ["alice", "agent"])
async def test_non_admins_are_forbidden(world: World, who: str) -> None:
    actor = AdminActor.of(getattr(world, who))
    s = world.services
    with pytest.raises(Forbidden):
        await admin.create_user(
            s, actor, email="x@example.com", name="X", role=Role.ADMIN, password=NEW_PASSWORD
        )
    with pytest.raises(Forbidden):
        await admin.change_user_role(s, actor, AGENT_ID, Role.ADMIN)
    with pytest.raises(Forbidden):
        await admin.deactivate_user(s, actor, ADMIN_ID)
    with pytest.raises(Forbidden):
        await admin.reactivate_user(s, actor, AGENT_ID)
    with pytest.raises(Forbidden):
        await admin.reset_user_password(s, actor, ADMIN_ID, NEW_PASSWORD)
    with pytest.raises(Forbidden):
        await admin.audit_log(s, actor, first=10)
    assert world.store.audit_entries == []


async def test_deactivation_ends_every_session_and_login(world: World) -> None:
    s = world.services
    email = world.store.users[AGENT_ID].email
    first = await login(s, email, PASSWORD, client="c")
    second = await login(s, email, PASSWORD, client="d")
    principal = await authenticate(s, first.access.token)
    user = await admin.deactivate_user(s, _admin(world), AGENT_ID)
    assert not user.active
    for tokens in (first, second):
        with pytest.raises(InvalidAccessToken):
            await authenticate(s, tokens.access.token)
        with pytest.raises(InvalidRefreshToken):
            await refresh_session(s, tokens.refresh_token)
    assert not await session_active(s, principal)
    with pytest.raises(InvalidCredentials):
        await login(s, email, PASSWORD, client="c")
    assert world.store.audit_entries[-1].action is AuditAction.USER_DEACTIVATED
    await admin.reactivate_user(s, _admin(world), AGENT_ID)
    with pytest.raises(InvalidAccessToken):  # old sessions stay ended
        await authenticate(s, first.access.token)
    assert (await login(s, email, PASSWORD, client="c")).user.id == AGENT_ID
    assert [e.action for e in world.store.audit_entries] == [
        AuditAction.USER_DEACTIVATED,
        AuditAction.USER_REACTIVATED,
    ]


async def test_an_inactive_users_session_is_refused_even_if_not_revoked(world: World) -> None:
    s = world.services
    tokens = await login(s, "alice@example.com", PASSWORD, client="c")
    world.store.users[ALICE_ID].active = False  # e.g. a login that raced the deactivation
    with pytest.raises(InvalidAccessToken):
        await authenticate(s, tokens.access.token)


async def test_admin_cannot_deactivate_or_demote_themselves(world: World) -> None:
    s = world.services
    with pytest.raises(ValidationFailed, match="yourself"):
        await admin.deactivate_user(s, _admin(world), ADMIN_ID)
    with pytest.raises(ValidationFailed, match="yourself"):
        await admin.change_user_role(s, _admin(world), ADMIN_ID, Role.AGENT)
    assert world.store.users[ADMIN_ID].active
    assert world.store.audit_entries == []


async def test_role_change_ends_sessions_and_is_audited(world: World) -> None:
    s = world.services
    email = world.store.users[AGENT_ID].email
    tokens = await login(s, email, PASSWORD, client="c")
    user = await admin.change_user_role(s, _admin(world), AGENT_ID, Role.ADMIN)
    assert user.role is Role.ADMIN
    with pytest.raises(InvalidAccessToken):
        await authenticate(s, tokens.access.token)
    entry = world.store.audit_entries[-1]
    assert entry.action is AuditAction.USER_ROLE_CHANGED
    assert entry.details == {"before": "AGENT", "after": "ADMIN"}
    with pytest.raises(ValidationFailed):
        await admin.change_user_role(s, _admin(world), ALICE_ID, Role.AGENT)
    with pytest.raises(ValidationFailed):
        await admin.change_user_role(s, _admin(world), AGENT_ID, Role.CUSTOMER)
    with pytest.raises(NotFound):
        await admin.change_user_role(s, _admin(world), "nobody", Role.AGENT)


async def test_password_reset_ends_sessions(world: World) -> None:
    s = world.services
    tokens = await login(s, "alice@example.com", PASSWORD, client="c")
    await admin.reset_user_password(s, _admin(world), ALICE_ID, NEW_PASSWORD)
    with pytest.raises(InvalidAccessToken):
        await authenticate(s, tokens.access.token)
    with pytest.raises(InvalidCredentials):
        await login(s, "alice@example.com", PASSWORD, client="c")
    assert (await login(s, "alice@example.com", NEW_PASSWORD, client="c")).user.id == ALICE_ID
    entry = world.store.audit_entries[-1]
    assert entry.action is AuditAction.USER_PASSWORD_RESET and entry.details == {}
    with pytest.raises(ValidationFailed):
        await admin.reset_user_password(s, _admin(world), ALICE_ID, "short")


async def test_audit_log_pages_newest_first(world: World) -> None:
    s = world.services
    for _ in range(3):
        await admin.deactivate_user(s, _admin(world), AGENT_ID)
        await admin.reactivate_user(s, _admin(world), AGENT_ID)
    page = await admin.audit_log(s, _admin(world), first=4)
    assert [e.sequence for e in page.items] == [6, 5, 4, 3] and page.has_next_page
    rest = await admin.audit_log(s, _admin(world), first=4, after=page.end_cursor)
    assert [e.sequence for e in rest.items] == [2, 1] and not rest.has_next_page
    with pytest.raises(ValidationFailed):
        await admin.audit_log(s, _admin(world), first=4, after="x")
