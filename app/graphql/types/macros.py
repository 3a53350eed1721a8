"""Macro (canned reply) and what the macro picker needs: placeholders and previews."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from app.graphql.context import Info
from app.graphql.types.common import Node
from app.graphql.types.connections import Connection, connection
from app.graphql.types.from_model import from_model
from app.graphql.types.users import User, user_relation
from domain import macros as dm


@strawberry.type(description="A placeholder a macro may use, written {{name}} in its body.")
class MacroPlaceholder:
    model: strawberry.Private[dm.Placeholder]
    name: str = strawberry.field(description="The name, e.g. customer_name.")
    token: str = strawberry.field(
        description="How it is written in a body, e.g. {{customer_name}}."
    )
    description: str = strawberry.field(description="What it is filled with.")
    example: str = strawberry.field(description="An example of what it becomes.")
    needs_order: bool = strawberry.field(
        description="Filled from the case's order: a case without an order cannot use it."
    )


def placeholders_of(items: tuple[dm.Placeholder, ...]) -> list[MacroPlaceholder]:
    return [from_model(MacroPlaceholder, p) for p in items]


@strawberry.type(description="A canned reply agents post on cases, filled from the case.")
class Macro(Node):
    model: strawberry.Private[dm.Macro]
    title: str = strawberry.field(description="A short name for the picker (1-120 characters).")
    body: str = strawberry.field(description="The text with its {{placeholders}}, as saved.")
    placeholders: list[MacroPlaceholder] = strawberry.field(
        description="The placeholders the body uses, in order of first use."
    )
    needs_order: bool = strawberry.field(
        description="Whether it can only be used on a case with an order."
    )

    def _created_by(self, info: Info) -> User | None:
        return user_relation(info, self.model.created_by_id)

    def _updated_by(self, info: Info) -> User | None:
        return user_relation(info, self.model.updated_by_id)

    # Resolvers declared in place (@field would list them after every plain field): the schema
    # keeps its field order.
    created_by: User | None = strawberry.field(resolver=_created_by, description="Who created it.")
    updated_by: User | None = strawberry.field(
        resolver=_updated_by, description="Who changed it last."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_domain(cls, macro: dm.Macro) -> Macro:
        return from_model(cls, macro, placeholders=placeholders_of(macro.placeholders))


@strawberry.type(description="What a macro would post on a case, filled from it.")
class MacroPreview:
    model: strawberry.Private[dm.Rendered]
    rendered_body: str = strawberry.field(
        description="The filled text, exactly as it would be posted."
    )
    placeholders: list[MacroPlaceholder] = strawberry.field(
        description="The placeholders that were filled."
    )

    @classmethod
    def from_domain(cls, rendered: dm.Rendered) -> MacroPreview:
        return from_model(
            cls,
            rendered,
            rendered_body=rendered.body,
            placeholders=placeholders_of(rendered.placeholders),
        )


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
