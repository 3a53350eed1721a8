"""from_model: a GraphQL object's plain fields are the domain object's attributes of that name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import strawberry

from app.graphql.ids import encode_id
from app.graphql.types.common import Node
from app.graphql.types.from_model import from_model


@dataclass(frozen=True)
class _Parcel:
    id: str
    label: str
    weight: int
    secret: str


@strawberry.type
class _ParcelType:
    model: strawberry.Private[_Parcel]
    id: strawberry.ID = strawberry.field(description="Global id.")
    label: str = strawberry.field(description="Copied.")
    grams: int = strawberry.field(description="Given: renamed.")
    is_heavy: strawberry.Private[bool] = False

    @strawberry.field(description="A resolver: never filled.")
    def secret(self) -> str:
        return "hidden"


def test_plain_fields_come_from_the_model_and_the_rest_is_given() -> None:
    parcel = _Parcel("p1", "Lamp", 1200, "s3cret")
    built = from_model(
        _ParcelType, parcel, id=strawberry.ID("Parcel:p1"), grams=parcel.weight, is_heavy=True
    )
    assert (built.model, built.id, built.label, built.grams) == (
        parcel,
        "Parcel:p1",
        "Lamp",
        1200,
    )
    assert built.is_heavy and built.secret() == "hidden"


@strawberry.type(name="Parcel")
class _ParcelNode(Node):
    model: strawberry.Private[_Parcel]
    label: str = strawberry.field(description="Copied.")


def test_a_node_id_is_the_global_id_of_its_graphql_type() -> None:
    built = from_model(_ParcelNode, _Parcel("p1", "Lamp", 1200, "s"))
    assert (built.id, built.label) == (encode_id("Parcel", "p1"), "Lamp")


def test_the_id_of_any_other_type_is_never_copied() -> None:
    with pytest.raises(TypeError, match="id"):
        from_model(_ParcelType, _Parcel("p1", "Lamp", 1200, "s"), grams=1)
