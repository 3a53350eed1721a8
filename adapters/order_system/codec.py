"""The order system's order JSON <-> domain.orders.Order, validated strictly.

Pure functions (no I/O), shared by the HTTP client and the order cache. Anything that does not match
the documented shape raises `MalformedOrder` (a ValueError) naming the offending field: wrong types
never escape as KeyError/TypeError, and floats or booleans are never accepted as money.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_MAX_TEXT = 1000  # no field of an order is legitimately longer


class MalformedOrder(ValueError):
    """An order payload that does not have the documented shape."""


def _field(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise MalformedOrder(f"{where}: missing field {key!r}")
    return data[key]


def _text(data: dict[str, Any], key: str, where: str, *, allow_empty: bool = False) -> str:
    value = _field(data, key, where)
    if not isinstance(value, str):
        raise MalformedOrder(f"{where}.{key}: expected a string, got {type(value).__name__}")
    if not value and not allow_empty:
        raise MalformedOrder(f"{where}.{key}: must not be empty")
    if len(value) > _MAX_TEXT:
        raise MalformedOrder(f"{where}.{key}: longer than {_MAX_TEXT} characters")
    return value


def _integer(data: dict[str, Any], key: str, where: str, *, minimum: int) -> int:
    value = _field(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedOrder(f"{where}.{key}: expected an integer, got {type(value).__name__}")
    if value < minimum:
        raise MalformedOrder(f"{where}.{key}: must be >= {minimum}, got {value}")
    return value


def _instant(data: dict[str, Any], key: str, where: str, *, nullable: bool) -> datetime | None:
    value = _field(data, key, where)
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise MalformedOrder(f"{where}.{key}: expected an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedOrder(f"{where}.{key}: not an ISO 8601 timestamp: {value[:40]!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise MalformedOrder(f"{where}.{key}: timestamp without a UTC offset: {value[:40]!r}")
    return parsed.astimezone(UTC)


def _calendar_date(data: dict[str, Any], key: str, where: str) -> date | None:
    value = _field(data, key, where)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise MalformedOrder(f"{where}.{key}: expected a YYYY-MM-DD date or null")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise MalformedOrder(f"{where}.{key}: not a valid date: {value!r}") from None


def _line(data: Any, currency: str, where: str) -> OrderLine:
    if not isinstance(data, dict):
        raise MalformedOrder(f"{where}: expected an object, got {type(data).__name__}")
    return OrderLine(
        id=_text(data, "id", where),
        sku=_text(data, "sku", where),
        name=_text(data, "name", where),
        quantity=_integer(data, "quantity", where, minimum=1),
        unit_price=Money(_integer(data, "unit_price", where, minimum=0), currency),
    )


def order_from_json(data: Any, as_of: datetime) -> Order:
    """Parse one order of the order system's JSON (a dict); `as_of` = when it was read.

    Datetimes become aware UTC; amounts become `Money` in the order's currency; `stale` is False.
    Unknown extra fields are ignored. Raises `MalformedOrder` for anything else."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    if not isinstance(data, dict):
        raise MalformedOrder(f"order: expected an object, got {type(data).__name__}")
    order_id = _text(data, "id", "order")
    where = f"order {order_id[:64]!r}"

    currency = _text(data, "currency", where)
    if not _CURRENCY_RE.fullmatch(currency):
        raise MalformedOrder(f"{where}.currency: not an ISO 4217 code: {currency[:10]!r}")

    raw_status = _text(data, "status", where)
    try:
        status = OrderStatus(raw_status)
    except ValueError:
        raise MalformedOrder(f"{where}.status: unknown status {raw_status[:40]!r}") from None

    raw_lines = _field(data, "lines", where)
    if not isinstance(raw_lines, list):
        raise MalformedOrder(f"{where}.lines: expected a list, got {type(raw_lines).__name__}")
    lines = tuple(
        _line(raw, currency, f"{where}.lines[{index}]") for index, raw in enumerate(raw_lines)
    )
    if len({line.id for line in lines}) != len(lines):
        raise MalformedOrder(f"{where}.lines: duplicate line ids")

    placed_at = _instant(data, "placed_at", where, nullable=False)
    assert placed_at is not None
    return Order(
        id=order_id,
        number=_text(data, "number", where),
        customer_id=_text(data, "customer_id", where),
        status=status,
        placed_at=placed_at,
        promised_delivery_date=_calendar_date(data, "promised_delivery_date", where),
        delivered_at=_instant(data, "delivered_at", where, nullable=True),
        currency=currency,
        total=Money(_integer(data, "total", where, minimum=0), currency),
        shipping=Money(_integer(data, "shipping", where, minimum=0), currency),
        lines=lines,
        payment_reference=_text(data, "payment_reference", where),
        as_of=as_of.astimezone(UTC),
        stale=False,
    )


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def order_to_json(order: Order) -> dict[str, Any]:
    """The inverse of `order_from_json` (without `as_of`/`stale`, which are not order data)."""
    return {
        "id": order.id,
        "number": order.number,
        "customer_id": order.customer_id,
        "status": order.status.value,
        "placed_at": _iso(order.placed_at),
        "promised_delivery_date": (
            order.promised_delivery_date.isoformat() if order.promised_delivery_date else None
        ),
        "delivered_at": _iso(order.delivered_at) if order.delivered_at else None,
        "currency": order.currency,
        "total": order.total.amount,
        "shipping": order.shipping.amount,
        "lines": [
            {
                "id": line.id,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price.amount,
            }
            for line in order.lines
        ],
        "payment_reference": order.payment_reference,
    }
