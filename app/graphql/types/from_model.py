"""Build a GraphQL object from the domain object it shows: `from_model(Type, model, **values)`.

Most fields of an object type show the domain attribute of the same name (`subject`,
`created_at`): they are plain attributes, set once when the object is built (no resolver runs
for them, which matters on a page of 50 cases). `from_model` sets every such field from the
attribute of the same name, so a type's `from_domain` names only what differs: a converted or
renamed value, and the id (never copied: a node's id is its global id, not the domain's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.types.field import StrawberryField

T = TypeVar("T")

# Per type: its GraphQL fields that are given when it is built. Filled on first use; types are
# few and never change.
_PLAIN_FIELDS: dict[type[Any], tuple[str, ...]] = {}


def _plain_fields(cls: type[Any]) -> tuple[str, ...]:
    names = _PLAIN_FIELDS.get(cls)
    if names is None:
        # The fields declared with strawberry.field(description=...), as every field of the
        # schema is; Private ones are plain dataclass fields; a resolver's is not in __init__.
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.init and isinstance(f, StrawberryField) and f.name != "id"
        )
        _PLAIN_FIELDS[cls] = names
    return names


def from_model(cls: type[T], model: object, **values: Any) -> T:
    """`cls(model=model, **values)`, every other plain field read from `model`'s attribute of
    the same name."""
    for name in _plain_fields(cls):
        if name not in values:
            values[name] = getattr(model, name)
    build: Callable[..., T] = cls
    return build(model=model, **values)
