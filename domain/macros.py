"""Canned replies (macros): shared texts with placeholders filled from a case.

A macro's body names placeholders as `{{name}}` (spaces inside the braces allowed). Only the
names of `PLACEHOLDERS` exist: anything else (an unknown name, a `{{` that is never closed) is a
validation error when the macro is saved, never a broken message later. Rendering fills every
placeholder from the case, its customer, the agent applying it and (for the order placeholders)
the case's order; a placeholder that the case cannot fill (an order placeholder on a case without
an order) refuses the rendering with a validation error naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.cases import BODY_MAX, SupportCase, new_id
from domain.errors import FieldError, Forbidden, ValidationFailed
from domain.money import Money
from domain.orders import Order
from domain.text import clean_text
from domain.users import Principal, User

TITLE_MAX = 120


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    description: str
    example: str
    needs_order: bool = False

    @property
    def token(self) -> str:
        return "{{" + self.name + "}}"


PLACEHOLDERS: tuple[Placeholder, ...] = (
    Placeholder("customer_name", "The customer's name.", "Alice Example"),
    Placeholder("customer_email", "The customer's email address.", "alice@example.com"),
    Placeholder("case_number", "The case's number.", "CS-000042"),
    Placeholder("case_subject", "The case's subject.", "Broken lamp"),
    Placeholder("agent_name", "The name of the agent who sends the macro.", "Agent Smith"),
    Placeholder("order_number", "The number of the case's order.", "#1001", needs_order=True),
    Placeholder("order_total", "The total of the case's order.", "USD 120.00", needs_order=True),
    Placeholder(
        "refundable_amount",
        "What can still be refunded on the case's order (total minus paid and pending refunds).",
        "USD 80.00",
        needs_order=True,
    ),
)
BY_NAME: dict[str, Placeholder] = {p.name: p for p in PLACEHOLDERS}

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"\s*([A-Za-z0-9_]+)\s*")


def placeholders_in(body: str, *, field_name: str = "body") -> tuple[Placeholder, ...]:
    """The placeholders `body` uses (in order of first use); ValidationFailed naming every
    unknown or malformed one."""
    errors: list[FieldError] = []
    used: dict[str, Placeholder] = {}
    for match in _PLACEHOLDER.finditer(body):
        name = _NAME.fullmatch(match.group(1))
        known = BY_NAME.get(name.group(1)) if name else None
        if known is None:
            errors.append(FieldError(field_name, f"unknown placeholder {match.group(0)[:60]}"))
            continue
        used.setdefault(known.name, known)
    if "{{" in _PLACEHOLDER.sub("", body):
        errors.append(FieldError(field_name, "a placeholder is opened with {{ but never closed"))
    if errors:
        raise ValidationFailed(errors)
    return tuple(used.values())


def check_body(body: str, *, field_name: str = "body") -> str:
    """A macro body as it is stored: cleaned text whose placeholders all exist."""
    errors: list[FieldError] = []
    text = clean_text(body, field_name, max_length=BODY_MAX, multiline=True, errors=errors)
    if errors:
        raise ValidationFailed(errors)
    placeholders_in(text, field_name=field_name)
    return text


def _check_title(title: str, errors: list[FieldError]) -> str:
    return clean_text(title, "title", max_length=TITLE_MAX, multiline=False, errors=errors)


def require_staff(principal: Principal) -> None:
    """Macros are the agents' (and admins') tool."""
    if not principal.is_staff:
        raise Forbidden("Only agents and admins use macros")


@dataclass(slots=True)
class Macro:
    id: str
    title: str
    body: str
    created_by_id: str
    updated_by_id: str
    created_at: datetime
    updated_at: datetime
    version: int = 0

    @classmethod
    def create(cls, *, title: str, body: str, author: Principal, now: datetime) -> Macro:
        require_staff(author)
        errors: list[FieldError] = []
        title = _check_title(title, errors)
        try:
            body = check_body(body)
        except ValidationFailed as exc:
            errors.extend(exc.fields)
        if errors:
            raise ValidationFailed(errors)
        return cls(
            id=new_id(),
            title=title,
            body=body,
            created_by_id=author.user_id,
            updated_by_id=author.user_id,
            created_at=now,
            updated_at=now,
        )

    def update(
        self, *, title: str | None, body: str | None, editor: Principal, now: datetime
    ) -> None:
        require_staff(editor)
        errors: list[FieldError] = []
        new_title = self.title if title is None else _check_title(title, errors)
        new_body = self.body
        if body is not None:
            try:
                new_body = check_body(body)
            except ValidationFailed as exc:
                errors.extend(exc.fields)
        if errors:
            raise ValidationFailed(errors)
        self.title, self.body = new_title, new_body
        self.updated_by_id = editor.user_id
        self.updated_at = now

    @property
    def placeholders(self) -> tuple[Placeholder, ...]:
        return placeholders_in(self.body)

    @property
    def needs_order(self) -> bool:
        return any(p.needs_order for p in self.placeholders)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """Everything a macro can say about a case (what rendering reads)."""

    case: SupportCase
    customer: User
    agent: User
    order: Order | None = None
    refundable: Money | None = None

    def values(self) -> dict[str, str | None]:
        """Each placeholder's text (None: this case cannot fill it)."""
        order = self.order
        return {
            "customer_name": self.customer.name,
            "customer_email": self.customer.email,
            "case_number": self.case.display_number,
            "case_subject": self.case.subject,
            "agent_name": self.agent.name,
            "order_number": order.number if order else None,
            "order_total": order.total.formatted() if order else None,
            "refundable_amount": self.refundable.formatted() if self.refundable else None,
        }


@dataclass(frozen=True, slots=True)
class Rendered:
    body: str
    placeholders: tuple[Placeholder, ...] = field(default=())


def render(body: str, facts: CaseFacts | Mapping[str, str | None]) -> Rendered:
    """`body` with every placeholder filled; ValidationFailed when one is unknown, or names
    something this case does not have (an order placeholder on a case without an order)."""
    used = placeholders_in(body)
    values = facts.values() if isinstance(facts, CaseFacts) else dict(facts)
    missing = [p for p in used if values.get(p.name) is None]
    if missing:
        raise ValidationFailed(
            [
                FieldError(
                    "body",
                    f"{p.token} cannot be filled: "
                    + ("this case has no order" if p.needs_order else "no value for this case"),
                )
                for p in missing
            ]
        )

    def fill(match: re.Match[str]) -> str:
        name = _NAME.fullmatch(match.group(1))
        assert name is not None  # placeholders_in checked every one
        return values[name.group(1)] or ""

    text = _PLACEHOLDER.sub(fill, body)
    errors: list[FieldError] = []
    text = clean_text(text, "body", max_length=BODY_MAX, multiline=True, errors=errors)
    if errors:
        raise ValidationFailed(errors)
    return Rendered(body=text, placeholders=used)
