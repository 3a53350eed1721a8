"""Build a GraphQL object from the domain object it shows: `from_model(Type, model, **values)`.

Most fields of an object type show the domain attribute of the same name (`subject`,
`created_at`): they are plain attributes, set once when the object is built (no resolver runs
for them, which matters on a page of 50 cases). `from_model` sets every such field from the
attribute of the same name, and a Node's `id` to its global id (its GraphQL type name and the
domain id), so a type's `from_domain` names only what differs: a converted or renamed value, or
the id of a type that is not a Node.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField

from app.graphql.ids import encode_id
from app.graphql.types.common import Node

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class _Shape:
    plain: tuple[str, ...]  # the fields given when the type is built, but the id
    node: str | None  # a Node's GraphQL type name (its global ids say it)


# Filled on first use; types are few and never change.
_SHAPES: dict[type[Any], _Shape] = {}


def _shape(cls: type[Any]) -> _Shape:
    shape = _SHAPES.get(cls)
    if shape is None:
        # The fields declared with strawberry.field(description=...), as every field of the
        # schema is; Private ones are plain dataclass fields; a resolver's is not in __init__.
        plain = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.init and isinstance(f, StrawberryField) and f.name != "id"
        )
        node = get_object_definition(cls, strict=True).name if issubclass(cls, Node) else None
        shape = _SHAPES[cls] = _Shape(plain, node)
    return shape


def from_model(cls: type[T], model: Any, **values: Any) -> T:
    """`cls(model=model, **values)`, every other plain field read from `model`'s attribute of
    the same name; a Node's id (unless given) is its global id."""
    shape = _shape(cls)
    for name in shape.plain:
        if name not in values:
            values[name] = getattr(model, name)
    if shape.node is not None and "id" not in values:
        values["id"] = encode_id(shape.node, model.id)
    build: Callable[..., T] = cls
    return build(model=model, **values)
