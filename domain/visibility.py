"""Who may see what on the read side: every visibility rule of the service, defined once.

The write side (use cases) and the read side (the GraphQL resolvers, `node()`, the live feed, and
the read stores through the flags and filters these rules produce: `include_internal`, and the
case filter of domain.queries.case_filter_for) all ask here, so a rule cannot
disagree with itself. DOMAIN.md: a customer sees only what is theirs and never an internal note;
agents and admins ("staff") see everything.

`principal` is None for an anonymous request (e.g. the user returned by `login`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.users import Principal, Role

if TYPE_CHECKING:
    from domain.cases import Message, SupportCase
    from domain.events import CaseEvent
    from domain.refunds import Refund
    from domain.users import User


def is_staff(principal: Principal | None) -> bool:
    """Agents and admins: they work every case."""
    return principal is not None and principal.role.is_staff


def sees_internal(principal: Principal | None) -> bool:
    """Internal notes and internal events (e.g. SLA alerts) are for staff only."""
    return is_staff(principal)


def may_see_case(principal: Principal | None, case: SupportCase) -> bool:
    """Staff see every case; a customer sees their own."""
    return principal is not None and (is_staff(principal) or principal.user_id == case.customer_id)


def may_see_message(principal: Principal | None, message: Message) -> bool:
    """The message itself (its case is checked separately): internal notes are staff-only."""
    return not message.internal or sees_internal(principal)


def may_see_event(principal: Principal | None, event: CaseEvent) -> bool:
    """The timeline entry itself (its case is checked separately): internal ones are staff-only."""
    return not event.internal or sees_internal(principal)


def may_see_refund(principal: Principal | None, refund: Refund) -> bool:
    """Staff see every refund; a customer sees the refunds of their own cases."""
    return principal is not None and (
        is_staff(principal) or refund.customer_id == principal.user_id
    )


def may_see_user(principal: Principal | None, user: User) -> bool:
    """Customers see themselves and staff (they talk to them), never other customers."""
    return principal is not None and (
        is_staff(principal) or user.id == principal.user_id or user.role.is_staff
    )


def may_see_macros(principal: Principal | None) -> bool:
    """The macro library is the staff's tool (domain.macros)."""
    return is_staff(principal)


def may_see_account_state(principal: Principal | None) -> bool:
    """Whether a user is active (deactivated or not) is for admins."""
    return principal is not None and principal.role is Role.ADMIN


def may_see_email(principal: Principal | None, user: User, *, is_self: bool = False) -> bool:
    """An email is for staff and the user themselves (`is_self`: the user who just logged in,
    though the request itself is still anonymous)."""
    return is_self or (
        principal is not None and (is_staff(principal) or principal.user_id == user.id)
    )


def audience(principal: Principal, case_id: str | None) -> tuple[str, ...]:
    """Who sees exactly the same of a case's events (or of every case's): the key under which
    live updates may be computed once and sent to many subscribers.

    Every rule above depends, for staff, on the role only (agents and admins differ in
    `may_see_account_state`), and for a customer on who they are and the case they follow.
    Two principals with the same audience get the same answer from every rule here."""
    if is_staff(principal):
        return ("staff", principal.role.value, case_id or "*")
    return ("customer", principal.user_id, case_id or "*")
