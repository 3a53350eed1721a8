"""order_from_json / order_to_json: round trip and strict validation of the order system's JSON."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from adapters.order_system.codec import MalformedOrder, order_from_json, order_to_json
from adapters.order_system.simulator import demo_orders, make_order
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus

NOW = datetime(2025, 3, 10, 12, 0, 0, tzinfo=UTC)


def sample() -> dict[str, Any]:
    return {
        "id": "ord-1",
        "number": "#1001",
        "customer_id": "cust-alice",
        "status": "DELIVERED",
        "placed_at": "2025-03-01T09:30:00Z",
        "promised_delivery_date": "2025-03-05",
        "delivered_at": "2025-03-06T15:00:00.250000Z",
        "currency": "USD",
        "total": 12000,
        "shipping": 500,
        "lines": [
            {"id": "l1", "sku": "HP-100", "name": "Headphones", "quantity": 1, "unit_price": 4000},
            {"id": "l2", "sku": "SPK-200", "name": "Speaker", "quantity": 1, "unit_price": 7500},
        ],
        "payment_reference": "pay_abc",
    }


def test_parses_every_field_into_domain_values() -> None:
    order = order_from_json(sample(), NOW)
    assert order == Order(
        id="ord-1",
        number="#1001",
        customer_id="cust-alice",
        status=OrderStatus.DELIVERED,
        placed_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        promised_delivery_date=date(2025, 3, 5),
        delivered_at=datetime(2025, 3, 6, 15, 0, 0, 250000, tzinfo=UTC),
        currency="USD",
        total=Money(12000, "USD"),
        shipping=Money(500, "USD"),
        lines=(
            OrderLine("l1", "HP-100", "Headphones", 1, Money(4000, "USD")),
            OrderLine("l2", "SPK-200", "Speaker", 1, Money(7500, "USD")),
        ),
        payment_reference="pay_abc",
        as_of=NOW,
        stale=False,
    )
    assert order.placed_at.tzinfo is UTC
    assert order.delivered_at is not None and order.delivered_at.tzinfo is UTC


def test_offsets_are_converted_to_utc() -> None:
    data = sample() | {"placed_at": "2025-03-01T11:30:00+02:00"}
    order = order_from_json(data, NOW.astimezone(timezone(timedelta(hours=-5))))
    assert order.placed_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert order.placed_at.utcoffset() == timedelta(0)
    assert order.as_of.utcoffset() == timedelta(0)


def test_json_round_trip_is_exact() -> None:
    data = sample()
    assert order_to_json(order_from_json(data, NOW)) == data
    # and survives real JSON text
    assert order_to_json(order_from_json(json.loads(json.dumps(data)), NOW)) == data


def test_order_round_trip_for_every_demo_order() -> None:
    for raw in demo_orders(NOW):
        order = order_from_json(raw, NOW)
        assert order_from_json(order_to_json(order), order.as_of) == order
        # `updated_at` (when the order last changed) orders the webhooks; it is not order data.
        assert order_to_json(order) == {k: v for k, v in raw.items() if k != "updated_at"}


def test_nullable_fields_round_trip() -> None:
    data = sample() | {"status": "PLACED", "promised_delivery_date": None, "delivered_at": None}
    order = order_from_json(data, NOW)
    assert order.promised_delivery_date is None and order.delivered_at is None
    assert order_to_json(order) == data


def test_unknown_extra_fields_are_ignored() -> None:
    data = sample() | {"loyalty_points": 12}
    data["lines"][0]["color"] = "black"
    assert order_from_json(data, NOW) == order_from_json(sample(), NOW)


def test_currency_with_other_minor_units() -> None:
    data = sample() | {"currency": "JPY", "total": 1500, "shipping": 0}
    data["lines"] = [{"id": "l1", "sku": "S", "name": "N", "quantity": 3, "unit_price": 500}]
    order = order_from_json(data, NOW)
    assert order.total == Money(1500, "JPY")
    assert order.lines[0].unit_price == Money(500, "JPY")


def test_make_order_computes_the_total() -> None:
    raw = make_order(
        id="x",
        number="#9",
        customer_id="c",
        status="DELIVERED",
        placed_at=NOW,
        lines=[("A", "a", 2, 150), ("B", "b", 1, 99)],
        shipping=50,
    )
    assert raw["total"] == 2 * 150 + 99 + 50
    assert order_from_json(raw, NOW).total == Money(449, "USD")


def _mutate(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(sample())
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


def _drop(path: tuple[str | int, ...]) -> dict[str, Any]:
    data = copy.deepcopy(sample())
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return data


MALFORMED: list[tuple[str, Any]] = [
    ("not an object", ["ord-1"]),
    ("null", None),
    ("missing id", _drop(("id",))),
    ("missing lines", _drop(("lines",))),
    ("missing total", _drop(("total",))),
    ("missing delivered_at", _drop(("delivered_at",))),
    ("missing line price", _drop(("lines", 0, "unit_price"))),
    ("id is a number", _mutate(("id",), 1)),
    ("id is empty", _mutate(("id",), "")),
    ("number is null", _mutate(("number",), None)),
    ("customer_id is a list", _mutate(("customer_id",), ["cust-alice"])),
    ("unknown status", _mutate(("status",), "LOST")),
    ("lowercase status", _mutate(("status",), "delivered")),
    ("status is a number", _mutate(("status",), 3)),
    ("total is a float", _mutate(("total",), 120.0)),
    ("total is a string", _mutate(("total",), "12000")),
    ("total is a bool", _mutate(("total",), True)),
    ("total is negative", _mutate(("total",), -1)),
    ("shipping is null", _mutate(("shipping",), None)),
    ("currency lowercase", _mutate(("currency",), "usd")),
    ("currency too long", _mutate(("currency",), "USDX")),
    ("currency is a number", _mutate(("currency",), 840)),
    ("placed_at naive", _mutate(("placed_at",), "2025-03-01T09:30:00")),
    ("placed_at garbage", _mutate(("placed_at",), "yesterday")),
    ("placed_at null", _mutate(("placed_at",), None)),
    ("placed_at epoch number", _mutate(("placed_at",), 1740821400)),
    ("delivered_at naive", _mutate(("delivered_at",), "2025-03-06T15:00:00")),
    ("promised date with time", _mutate(("promised_delivery_date",), "2025-03-05T00:00:00Z")),
    ("promised date basic format", _mutate(("promised_delivery_date",), "20250305")),
    ("promised date impossible", _mutate(("promised_delivery_date",), "2025-02-30")),
    ("lines is an object", _mutate(("lines",), {"l1": {}})),
    ("line is a string", _mutate(("lines", 0), "l1")),
    ("line quantity zero", _mutate(("lines", 0, "quantity"), 0)),
    ("line quantity float", _mutate(("lines", 0, "quantity"), 1.5)),
    ("line price string", _mutate(("lines", 0, "unit_price"), "40.00")),
    ("line name null", _mutate(("lines", 0, "name"), None)),
    ("duplicate line ids", _mutate(("lines", 1, "id"), "l1")),
    ("payment reference missing", _drop(("payment_reference",))),
    ("huge text", _mutate(("number",), "#" * 5000)),
]


@pytest.mark.parametrize(("case", "data"), MALFORMED, ids=[case for case, _ in MALFORMED])
def test_malformed_payloads_raise_malformed_order(case: str, data: Any) -> None:
    with pytest.raises(MalformedOrder) as info:
        order_from_json(data, NOW)
    assert str(info.value)  # a message that says what is wrong
    assert isinstance(info.value, ValueError)


def test_error_names_the_field() -> None:
    with pytest.raises(MalformedOrder, match=r"lines\[1\]\.unit_price"):
        order_from_json(_mutate(("lines", 1, "unit_price"), 7.5), NOW)
    with pytest.raises(MalformedOrder, match="missing field 'total'"):
        order_from_json(_drop(("total",)), NOW)


def test_as_of_must_be_aware() -> None:
    with pytest.raises(ValueError, match="as_of"):
        order_from_json(sample(), datetime(2025, 3, 10, 12, 0))
