"""Rows <-> domain dataclasses by name: a column holds the attribute of its name.

Most columns store their attribute as is (datetimes too: `tables.UtcDateTime` stores UTC and
always returns aware UTC), enum members by their value; a mapper only spells out the others
(Money as two columns, JSON lists, enums read back). Rows are Core result mappings; values go
in as plain dicts.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


def row_values(
    table: Table, item: DataclassInstance, *, omit: Collection[str] = (), **columns: Any
) -> dict[str, Any]:
    """The values of `item`'s row in `table`: every column but those in `omit` (filled by the
    database), each from `columns` if given there, else the attribute of its name."""
    values: dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        if name in omit:
            continue
        value = columns[name] if name in columns else getattr(item, name)
        values[name] = value.value if isinstance(value, enum.Enum) else value
    return values


def from_row(cls: type[T], row: Mapping[Any, Any], **fields: Any) -> T:
    """A `cls` from its row: each field from `fields` if given there (read from the row in
    another form), else from the column of its name; a field without a column (e.g. the events
    an aggregate has not handed over yet) keeps its default."""
    known = {
        field.name: row[field.name]
        for field in dataclasses.fields(cls)
        if field.init and field.name not in fields and field.name in row
    }
    return cls(**known, **fields)
