"""User administration (admins, or the operator CLI): create users, change roles, deactivate,
reactivate, reset passwords. Each action and its audit entry are stored in one transaction.

Deactivating, resetting a password and changing a role revoke every session of the user at once:
`authenticate` (per request) and the WebSocket session check see the session ended, and a refresh
is refused. A deactivated user cannot log in until reactivated."""

from __future__ import annotations

import uuid

from domain.admin import (
    AUDIT_DETAIL_MAX,
    CUSTOMER_ID_MAX,
    EMAIL_MAX,
    EMAIL_MIN,
    NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    AdminActor,
    AuditAction,
    AuditEntry,
)
from domain.errors import FieldError, Forbidden, NotFound, ValidationFailed
from domain.ports import UnitOfWork
from domain.queries import Page, page_size
from domain.usecases.services import Services
from domain.users import Role, User, normalize_email


def _require_admin(actor: AdminActor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("Only admins may administer users")


def _password_errors(password: str, field: str = "password") -> list[FieldError]:
    if len(password) < PASSWORD_MIN:
        return [FieldError(field, f"must be at least {PASSWORD_MIN} characters")]
    if len(password) > PASSWORD_MAX:
        return [FieldError(field, f"must be at most {PASSWORD_MAX} characters")]
    if not password.isprintable():
        return [FieldError(field, "must not contain control characters")]
    return []


def _detail(value: str) -> str:
    return value[:AUDIT_DETAIL_MAX]


async def _audit(
    services: Services,
    uow: UnitOfWork,
    actor: AdminActor,
    action: AuditAction,
    target: User,
    **details: str,
) -> None:
    await uow.audit_log.add(
        AuditEntry(
            id=str(uuid.uuid4()),
            actor_id=actor.user_id,
            actor=actor.label,
            action=action,
            target_user_id=target.id,
            occurred_at=services.clock.now(),
            details={k: _detail(v) for k, v in details.items()},
        )
    )


async def _announce_sessions_ended(services: Services, user_id: str) -> None:
    """After commit: live sockets of the user close at once on every instance (their periodic
    session check would notice anyway)."""
    if services.session_notices is not None:
        await services.session_notices.announce(user_id)


async def _target(uow: UnitOfWork, user_id: str) -> User:
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound("User")
    return user


async def create_user(
    services: Services,
    actor: AdminActor,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    external_customer_id: str | None = None,
) -> User:
    _require_admin(actor)
    email = normalize_email(email)
    name = name.strip()
    external = (external_customer_id or "").strip() or None
    errors: list[FieldError] = []
    if not (EMAIL_MIN <= len(email) <= EMAIL_MAX) or "@" not in email or not email.isprintable():
        errors.append(FieldError("email", "must be an email address"))
    elif any(c.isspace() for c in email):
        errors.append(FieldError("email", "must not contain spaces"))
    if not name or len(name) > NAME_MAX or not name.isprintable():
        errors.append(FieldError("name", f"must be 1 to {NAME_MAX} printable characters"))
    if role is Role.CUSTOMER:
        if external is None:
            errors.append(
                FieldError("externalCustomerId", "a customer needs the order system's customer id")
            )
        elif len(external) > CUSTOMER_ID_MAX or not external.isprintable():
            errors.append(
                FieldError("externalCustomerId", f"must be 1 to {CUSTOMER_ID_MAX} characters")
            )
    elif external is not None:
        errors.append(FieldError("externalCustomerId", "only customers have one"))
    errors.extend(_password_errors(password))
    if errors:
        raise ValidationFailed(errors)
    async with services.uow() as uow:
        if await uow.users.get_by_email(email) is not None:
            raise ValidationFailed.single("email", "is already taken")
        user = User(
            id=str(uuid.uuid4()),
            email=email,
            name=name,
            role=role,
            password_hash=services.passwords.hash(password),
            created_at=services.clock.now(),
            external_customer_id=external,
        )
        await uow.users.add(user)
        details = {"email": email, "role": role.value}
        if external is not None:
            details["externalCustomerId"] = external
        await _audit(services, uow, actor, AuditAction.USER_CREATED, user, **details)
        await uow.commit()
    return user


async def change_user_role(services: Services, actor: AdminActor, user_id: str, role: Role) -> User:
    """Between AGENT and ADMIN (customers are tied to an order-system customer and stay
    customers). The user's sessions end, so that no token keeps the old role."""
    _require_admin(actor)
    if role is Role.CUSTOMER:
        raise ValidationFailed.single("role", "staff can only become AGENT or ADMIN")
    async with services.uow() as uow:
        user = await _target(uow, user_id)
        if user.role is Role.CUSTOMER:
            raise ValidationFailed.single("role", "a customer's role cannot be changed")
        if user.id == actor.user_id and role is not Role.ADMIN:
            raise ValidationFailed.single("userId", "you cannot demote yourself")
        if user.role is role:
            return user
        before = user.role
        user.role = role
        await uow.users.save(user)
        await uow.refresh_tokens.revoke_user(user.id, services.clock.now())
        await _audit(
            services,
            uow,
            actor,
            AuditAction.USER_ROLE_CHANGED,
            user,
            before=before.value,
            after=role.value,
        )
        await uow.commit()
    await _announce_sessions_ended(services, user.id)
    return user


async def deactivate_user(services: Services, actor: AdminActor, user_id: str) -> User:
    _require_admin(actor)
    if user_id == actor.user_id:
        raise ValidationFailed.single("userId", "you cannot deactivate yourself")
    async with services.uow() as uow:
        user = await _target(uow, user_id)
        now = services.clock.now()
        # Revoked even when already inactive: a session that slipped in is ended too.
        await uow.refresh_tokens.revoke_user(user.id, now)
        if user.active:
            user.active = False
            await uow.users.save(user)
            await _audit(services, uow, actor, AuditAction.USER_DEACTIVATED, user)
        await uow.commit()
    await _announce_sessions_ended(services, user.id)
    return user


async def reactivate_user(services: Services, actor: AdminActor, user_id: str) -> User:
    _require_admin(actor)
    async with services.uow() as uow:
        user = await _target(uow, user_id)
        if user.active:
            return user
        user.active = True
        await uow.users.save(user)
        await _audit(services, uow, actor, AuditAction.USER_REACTIVATED, user)
        await uow.commit()
    return user


async def reset_user_password(
    services: Services, actor: AdminActor, user_id: str, password: str
) -> User:
    _require_admin(actor)
    errors = _password_errors(password)
    if errors:
        raise ValidationFailed(errors)
    async with services.uow() as uow:
        user = await _target(uow, user_id)
        user.password_hash = services.passwords.hash(password)
        await uow.users.save(user)
        await uow.refresh_tokens.revoke_user(user.id, services.clock.now())
        await _audit(services, uow, actor, AuditAction.USER_PASSWORD_RESET, user)
        await uow.commit()
    await _announce_sessions_ended(services, user.id)
    return user


async def find_user(services: Services, actor: AdminActor, email_or_id: str) -> User:
    """For the CLI: a user by email (normalized) or id."""
    _require_admin(actor)
    async with services.uow() as uow:
        user = await uow.users.get_by_email(normalize_email(email_or_id))
        if user is None:
            user = await uow.users.get(email_or_id)
    if user is None:
        raise NotFound("User")
    return user


async def audit_log(
    services: Services, actor: AdminActor, *, first: int | None, after: str | None = None
) -> Page[AuditEntry]:
    """Newest first; `after` is the cursor of an entry of an earlier page."""
    _require_admin(actor)
    size = page_size(first)
    before: int | None = None
    if after is not None:
        if not after.isdigit() or len(after) > 18:
            raise ValidationFailed.single("after", "is not a cursor of this connection")
        before = int(after)
    async with services.uow() as uow:
        entries = await uow.audit_log.newest(limit=size + 1, before=before)
    items = entries[:size]
    return Page(
        items=items,
        cursors=[str(e.sequence) for e in items],
        has_next_page=len(entries) > size,
    )
