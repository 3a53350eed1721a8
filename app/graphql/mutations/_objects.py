"""The shape of most mutations: an actor runs a use case on one object named by a global id.

Each kind of object has an `OnObject` in the module of its mutations (`_cases.on_case`, ...),
which says who acts and how its ids decode; a mutation then only names the payload, the use
case and its other arguments:
`await on_case(info, input.case_id, CaseUpdated.of, use_case.set_case_priority, input.priority)`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Concatenate, Generic, ParamSpec, TypeVar

from app.graphql.context import Info
from app.graphql.mutations._run import run_then
from app.graphql.types.errors import Error
from domain.admin import AdminActor
from domain.usecases.services import Services
from domain.users import Principal

A = TypeVar("A")
T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")


def caller(info: Info) -> Principal:
    """The caller, as the actor of a use case."""
    return info.context.require_principal()


def admin_actor(info: Info) -> AdminActor:
    """The caller, as the actor of an admin use case (which checks the role itself)."""
    return AdminActor.of(info.context.require_principal())


@dataclass(frozen=True)
class OnObject(Generic[A]):
    """Mutations on one kind of object: who acts, and how a global id of the kind decodes
    (to its internal id; NotFound otherwise)."""

    actor: Callable[[Info], A]
    decode: Callable[[str], str]

    async def __call__(
        self,
        info: Info,
        global_id: str,
        then: Callable[[T], R],
        use_case: Callable[Concatenate[Services, A, str, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R | Error:
        """`run_then` of `use_case(services, actor, internal id, *args, **kwargs)`; `then`
        makes the payload. The id is decoded inside the run, so one that does not decode is a
        NotFound union member like any other. `info` goes to the run for the refund use cases
        (RefundNotAllowed{ORDER_UNAVAILABLE}, see _run); no other use case raises that."""
        actor = self.actor(info)
        return await run_then(
            lambda: use_case(info.context.services, actor, self.decode(global_id), *args, **kwargs),
            then,
            info,
        )
