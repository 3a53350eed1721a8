"""Macro (canned reply) and what the macro picker needs: placeholders and previews."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.fields import field
from app.graphql.ids import encode_id
from app.graphql.types.common import Node
from app.graphql.types.connections import Connection, connection
from app.graphql.types.users import User, user_relation
from domain import macros as dm


@strawberry.type(description="A placeholder a macro may use, written {{name}} in its body.")
class MacroPlaceholder:
    model: strawberry.Private[dm.Placeholder]

    @field(description="The name, e.g. customer_name.")
    def name(self) -> str:
        return self.model.name

    @field(description="How it is written in a body, e.g. {{customer_name}}.")
    def token(self) -> str:
        return self.model.token

    @field(description="What it is filled with.")
    def description(self) -> str:
        return self.model.description

    @field(description="An example of what it becomes.")
    def example(self) -> str:
        return self.model.example

    @field(description="Filled from the case's order: a case without an order cannot use it.")
    def needs_order(self) -> bool:
        return self.model.needs_order


def placeholders_of(items: tuple[dm.Placeholder, ...]) -> list[MacroPlaceholder]:
    return [MacroPlaceholder(model=p) for p in items]


@strawberry.type(description="A canned reply agents post on cases, filled from the case.")
class Macro(Node):
    model: strawberry.Private[dm.Macro]

    @classmethod
    def from_domain(cls, macro: dm.Macro) -> Macro:
        return cls(id=encode_id("Macro", macro.id), model=macro)

    @field(description="A short name for the picker (1-120 characters).")
    def title(self) -> str:
        return self.model.title

    @field(description="The text with its {{placeholders}}, as saved.")
    def body(self) -> str:
        return self.model.body

    @field(description="The placeholders the body uses, in order of first use.")
    def placeholders(self) -> list[MacroPlaceholder]:
        return placeholders_of(self.model.placeholders)

    @field(description="Whether it can only be used on a case with an order.")
    def needs_order(self) -> bool:
        return self.model.needs_order

    @field(description="Who created it.")
    def created_by(self, info: Info) -> User | None:
        return user_relation(info, self.model.created_by_id)

    @field(description="Who changed it last.")
    def updated_by(self, info: Info) -> User | None:
        return user_relation(info, self.model.updated_by_id)

    @field(description="When it was created.")
    def created_at(self) -> datetime:
        return self.model.created_at

    @field(description="When it last changed.")
    def updated_at(self) -> datetime:
        return self.model.updated_at


@strawberry.type(description="What a macro would post on a case, filled from it.")
class MacroPreview:
    model: strawberry.Private[dm.Rendered]

    @field(description="The filled text, exactly as it would be posted.")
    def rendered_body(self) -> str:
        return self.model.body

    @field(description="The placeholders that were filled.")
    def placeholders(self) -> list[MacroPlaceholder]:
        return placeholders_of(self.model.placeholders)


if TYPE_CHECKING:
    MacroConnection = Connection[Macro]
else:
    MacroConnection = connection(
        Macro,
        Macro.from_domain,
        description="A page of macros, by title.",
        edges="The macros of this page.",
        edge_description="An edge of a macro connection.",
        cursor="Position of this macro.",
        node_description="The macro.",
    )
