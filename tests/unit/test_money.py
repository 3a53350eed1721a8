"""Money: integer minor units plus an ISO 4217 currency."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.money import CurrencyMismatch, Money


def test_arithmetic_keeps_the_currency() -> None:
    assert Money(4000, "USD") + Money(7500, "USD") == Money(11500, "USD")
    assert Money(12000, "USD") - Money(4000, "USD") == Money(8000, "USD")
    assert Money(1200, "USD") * 3 == Money(3600, "USD")
    assert Money.zero("EUR") == Money(0, "EUR")


def test_comparisons() -> None:
    assert Money(1, "USD") < Money(2, "USD")
    assert Money(2, "USD") <= Money(2, "USD")
    assert not Money(3, "USD") <= Money(2, "USD")
    assert not Money(2, "USD") < Money(2, "USD")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
    ],
)
def test_different_currencies_never_combine(operation: object) -> None:
    assert callable(operation)
    with pytest.raises(CurrencyMismatch):
        operation(Money(100, "USD"), Money(100, "EUR"))


@pytest.mark.parametrize("amount", [1.5, 10.0, "100", None, True, False])
def test_amount_must_be_an_int(amount: object) -> None:
    with pytest.raises(TypeError):
        Money(amount, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["usd", "US", "USDX", "U$D", "", "12A"])
def test_currency_must_be_an_iso_code(currency: str) -> None:
    with pytest.raises(ValueError):
        Money(100, currency)


def test_money_is_immutable() -> None:
    money = Money(100, "USD")
    with pytest.raises(AttributeError):
        money.amount = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(12000, "USD"), "USD 120.00"),
        (Money(1999, "USD"), "USD 19.99"),
        (Money(5, "USD"), "USD 0.05"),
        (Money(0, "EUR"), "EUR 0.00"),
        (Money(-250, "USD"), "USD -2.50"),
        (Money(123456789, "USD"), "USD 1,234,567.89"),
        (Money(500, "JPY"), "JPY 500"),
        (Money(1234, "KWD"), "KWD 1.234"),
    ],
)
def test_formatted(money: Money, text: str) -> None:
    assert money.formatted() == text


def test_minor_digits() -> None:
    assert Money(1, "USD").minor_digits == 2
    assert Money(1, "JPY").minor_digits == 0
    assert Money(1, "BHD").minor_digits == 3


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12))
def test_addition_and_subtraction_are_exact(a: int, b: int) -> None:
    total = Money(a, "USD") + Money(b, "USD")
    assert total.amount == a + b
    assert (total - Money(b, "USD")) == Money(a, "USD")


@given(st.integers(-(10**12), 10**12))
def test_formatted_round_trips_to_the_amount(amount: int) -> None:
    text = Money(amount, "USD").formatted()
    assert text.startswith("USD ")
    digits = text[4:].replace(",", "").replace(".", "")
    assert int(digits) == amount
