"""The macro library: create, change, delete and list the shared canned replies (staff only)."""

from __future__ import annotations

import base64
import binascii
import json

from domain.errors import NotFound, ValidationFailed
from domain.macros import PLACEHOLDERS, Macro, Placeholder, require_staff
from domain.queries import Page, page_size
from domain.usecases.services import Services
from domain.users import Principal


def placeholders(principal: Principal) -> tuple[Placeholder, ...]:
    """Every placeholder a macro may use."""
    require_staff(principal)
    return PLACEHOLDERS


async def create_macro(services: Services, principal: Principal, title: str, body: str) -> Macro:
    macro = Macro.create(title=title, body=body, author=principal, now=services.clock.now())
    async with services.uow() as uow:
        await uow.macros.add(macro)
        await uow.commit()
    return macro


async def update_macro(
    services: Services,
    principal: Principal,
    macro_id: str,
    *,
    title: str | None = None,
    body: str | None = None,
) -> Macro:
    require_staff(principal)
    async with services.uow() as uow:
        macro = await uow.macros.get(macro_id)
        if macro is None:
            raise NotFound("Macro")
        macro.update(title=title, body=body, editor=principal, now=services.clock.now())
        await uow.macros.save(macro)
        await uow.commit()
    return macro


async def delete_macro(services: Services, principal: Principal, macro_id: str) -> str:
    """The id of the deleted macro (messages it already produced stay as they are)."""
    require_staff(principal)
    async with services.uow() as uow:
        if not await uow.macros.delete(macro_id):
            raise NotFound("Macro")
        await uow.commit()
    return macro_id


async def get_macro(services: Services, principal: Principal, macro_id: str) -> Macro | None:
    require_staff(principal)
    async with services.uow() as uow:
        return await uow.macros.get(macro_id)


def encode_cursor(macro: Macro) -> str:
    raw = json.dumps([macro.title, macro.id], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    bad = ValidationFailed.single("after", "is not a cursor of this connection")
    if len(cursor) > 1000:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(part, str) for part in value)
    ):
        raise bad
    return value[0], value[1]


async def list_macros(
    services: Services, principal: Principal, *, first: int | None, after: str | None = None
) -> Page[Macro]:
    """Macros by title (then id), keyset-paginated."""
    require_staff(principal)
    size = page_size(first)
    position = decode_cursor(after) if after is not None else None
    async with services.uow() as uow:
        found = await uow.macros.list(limit=size + 1, after=position)
    items = found[:size]
    return Page(
        items=items,
        cursors=[encode_cursor(m) for m in items],
        has_next_page=len(found) > size,
    )
