"""What the macro mutations share: their success payload, the macro id argument and their
shape (a staff member acts on one macro, named by Macro.id)."""

from __future__ import annotations

import strawberry

from app.graphql.mutations._objects import OnObject, caller
from app.graphql.mutations._run import internal_id
from app.graphql.types.macros import Macro
from domain import macros as dm
from domain.users import Principal


@strawberry.type(description="The macro was saved.")
class MacroSaved:
    macro: Macro = strawberry.field(description="The macro as it is now.")

    @classmethod
    def of(cls, macro: dm.Macro) -> MacroSaved:
        return cls(macro=Macro.from_domain(macro))


def macro_id(global_id: str) -> str:
    """The internal id of a Macro.id argument (NotFound "Macro" otherwise)."""
    return internal_id(global_id, "Macro", "Macro")


on_macro: OnObject[Principal] = OnObject(caller, macro_id)
