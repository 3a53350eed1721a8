"""`python -m app.cli users ...`: user administration for operators, through the same use cases
as the admin mutations (domain.usecases.admin_users), acting as the system admin identity that
the audit log records as `cli`. The database is DATABASE_URL (it must be migrated).

    python -m app.cli users create agent@example.com --name "Agnes" --role AGENT
    python -m app.cli users create c@example.com --name "C" --role CUSTOMER --customer-id cust-42
    python -m app.cli users role agent@example.com ADMIN
    python -m app.cli users deactivate agent@example.com      # sessions and sockets end
    python -m app.cli users reactivate agent@example.com
    python -m app.cli users reset-password agent@example.com  # prompts; sessions end
    python -m app.cli users audit --limit 20                  # the audit log, newest first

Users are named by email or id. Passwords are prompted for (hidden, twice) unless given with
--password (or the USER_PASSWORD environment variable, for scripts). Exit codes: 0 done,
1 no such user, 2 invalid input.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer

from domain.admin import CLI_ACTOR
from domain.errors import NotFound, ValidationFailed
from domain.usecases import admin_users
from domain.usecases.services import Services
from domain.users import Role, User

T = TypeVar("T")

users_app = typer.Typer(
    help="User administration (audited as `cli`): create, role, deactivate, reactivate, "
    "reset-password, audit.",
    no_args_is_help=True,
)

USER_ARG = typer.Argument(help="The user's email or id.")


def _password_option() -> str:
    return typer.Option(  # type: ignore[no-any-return]
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="USER_PASSWORD",
        help="The password (prompted for when not given).",
    )


def _run(work: Callable[[Services], Awaitable[T]]) -> T:
    from app.composition.runtime import build_runtime
    from app.settings import load_settings

    async def main() -> T:
        async with build_runtime(load_settings()) as runtime:
            return await work(runtime.services)

    try:
        return asyncio.run(main())
    except NotFound as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    except ValidationFailed as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None


def _describe(user: User) -> str:
    state = "active" if user.active else "deactivated"
    customer = f", customer {user.external_customer_id}" if user.external_customer_id else ""
    return f"{user.email} ({user.role.value}, {state}{customer}) id {user.id}"


def _change(user_ref: str, change: Callable[[Services, str], Awaitable[User]]) -> User:
    async def work(services: Services) -> User:
        user = await admin_users.find_user(services, CLI_ACTOR, user_ref)
        return await change(services, user.id)

    return _run(work)


@users_app.command("create")
def create(
    email: str = typer.Argument(help="Their email (normalized: trimmed, lower case)."),
    name: str = typer.Option(..., help="Display name."),
    role: Role = typer.Option(Role.AGENT, case_sensitive=False, help="What they may do."),
    customer_id: str | None = typer.Option(
        None, help="Customers only (required for them): the order system's customer id."
    ),
    password: str = _password_option(),
) -> None:
    """Create a user: an agent, an admin, or a customer of the order system."""
    user = _run(
        lambda s: admin_users.create_user(
            s,
            CLI_ACTOR,
            email=email,
            name=name,
            role=role,
            password=password,
            external_customer_id=customer_id,
        )
    )
    typer.echo(f"created {_describe(user)}")


@users_app.command("role")
def role(
    user: str = USER_ARG,
    new_role: Role = typer.Argument(help="AGENT or ADMIN.", case_sensitive=False),
) -> None:
    """Make an agent an admin or an admin an agent; their sessions end."""
    changed = _change(
        user, lambda s, uid: admin_users.change_user_role(s, CLI_ACTOR, uid, new_role)
    )
    typer.echo(f"role changed: {_describe(changed)}")


@users_app.command("deactivate")
def deactivate(user: str = USER_ARG) -> None:
    """Lock a user out: no login or refresh; every session and live socket of theirs ends."""
    changed = _change(user, lambda s, uid: admin_users.deactivate_user(s, CLI_ACTOR, uid))
    typer.echo(f"deactivated: {_describe(changed)}")


@users_app.command("reactivate")
def reactivate(user: str = USER_ARG) -> None:
    """Let a deactivated user log in again (their old sessions stay ended)."""
    changed = _change(user, lambda s, uid: admin_users.reactivate_user(s, CLI_ACTOR, uid))
    typer.echo(f"reactivated: {_describe(changed)}")


@users_app.command("reset-password")
def reset_password(user: str = USER_ARG, password: str = _password_option()) -> None:
    """Set a user's password; every session of theirs ends."""
    changed = _change(
        user, lambda s, uid: admin_users.reset_user_password(s, CLI_ACTOR, uid, password)
    )
    typer.echo(f"password reset: {_describe(changed)}")


@users_app.command("audit")
def audit(limit: int = typer.Option(20, min=1, max=100, help="How many entries.")) -> None:
    """Show the audit log of admin actions, newest first."""
    page = _run(lambda s: admin_users.audit_log(s, CLI_ACTOR, first=limit))
    for entry in page.items:
        details = " ".join(f"{k}={v}" for k, v in sorted(entry.details.items()))
        typer.echo(
            f"{entry.occurred_at.isoformat()} {entry.actor} {entry.action.value} "
            f"{entry.target_user_id or '-'} {details}".rstrip()
        )
