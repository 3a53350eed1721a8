"""One builder for every Relay connection of the schema (`<Node>Connection` + `<Node>Edge`).

`connection(...)` creates the two named Strawberry types of a node type from descriptions, so the
schema keeps its names (`MessageConnection`, `MessageEdge`, ...) and its per-type descriptions,
which Strawberry generics (`Connection[T]`) would not. Every connection has `edges` and `pageInfo`;
`total_count=True` adds `totalCount`, computed by a counter the resolver passes (run only when the
field is selected).

For mypy, a module declares the connection as `Connection[Node]` under TYPE_CHECKING (the generic
shell below, which the generated types subclass) and builds it with `connection(...)` otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Generic, TypeVar

import strawberry

from app.graphql.types.common import PageInfo
from domain.queries import Page

N = TypeVar("N")

Counter = Callable[[], Awaitable[int]]

TOTAL_COUNT_DESCRIPTION = (
    "How many items the whole connection has (every page, whatever `first` and `after`). "
    "Costs one COUNT statement, run only when this field is selected; for a nested "
    "connection, one grouped COUNT for the whole list."
)


class Edge(Generic[N]):
    """The Python side of a generated edge type."""

    cursor: str
    node: N

    def __init__(self, *, cursor: str, node: N) -> None:  # pragma: no cover - typing shell
        raise NotImplementedError


class Connection(Generic[N]):
    """The Python side of a generated connection type: its fields and `from_page`."""

    edges: list[Edge[N]]
    page_info: PageInfo
    count: Counter | None
    _edge_type: ClassVar[type[Any]]
    _wrap: ClassVar[Callable[[Any], Any]]

    def __init__(  # pragma: no cover - typing shell; the dataclass __init__ replaces it
        self, *, edges: list[Edge[N]], page_info: PageInfo, count: Counter | None = None
    ) -> None:
        raise NotImplementedError

    @classmethod
    def from_page(cls, page: Page[Any], count: Counter | None = None) -> Connection[N]:
        """Edges (one per item, with its keyset cursor) and page info of a read-side page."""
        wrap = cls._wrap
        edges = [
            cls._edge_type(cursor=cursor, node=wrap(item))
            for item, cursor in zip(page.items, page.cursors, strict=True)
        ]
        page_info = PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor)
        return cls(edges=edges, page_info=page_info, count=count)


async def _total_count(self: Connection[Any]) -> int:
    if self.count is None:  # pragma: no cover - every connection with totalCount sets it
        raise RuntimeError("this connection was built without a counter")
    return await self.count()


def connection(
    node: type[N],
    wrap: Callable[[Any], N],
    *,
    description: str,
    edges: str,
    edge_description: str,
    cursor: str,
    node_description: str,
    total_count: bool = False,
) -> type[Connection[N]]:
    """`<Node>Connection` and `<Node>Edge` for the GraphQL type `node` (named after it).

    `wrap` turns a read model of the page into the node type (e.g. `Message.from_domain`)."""
    name = node.__name__
    edge_namespace: dict[str, Any] = {
        "__annotations__": {"cursor": str, "node": node},
        "__module__": __name__,
        "__doc__": edge_description,
        "cursor": strawberry.field(description=cursor),
        "node": strawberry.field(description=node_description),
    }
    edge_type = strawberry.type(
        type(f"{name}Edge", (Edge,), edge_namespace),
        name=f"{name}Edge",
        description=edge_description,
    )
    namespace: dict[str, Any] = {
        "__annotations__": {
            "edges": list[edge_type],  # type: ignore[valid-type]  # built at runtime
            "page_info": PageInfo,
            # A runtime annotation for Strawberry; mypy reads Connection.count instead.
            "count": strawberry.Private[Counter | None],  # type: ignore[misc]
        },
        "__module__": __name__,
        "__doc__": description,
        "edges": strawberry.field(description=edges),
        "page_info": strawberry.field(description="Paging."),
        "count": None,
        "_edge_type": edge_type,
        "_wrap": staticmethod(wrap),
    }
    if total_count:
        namespace["total_count"] = strawberry.field(
            _total_count, description=TOTAL_COUNT_DESCRIPTION
        )
    generated: type[Connection[N]] = strawberry.type(
        type(f"{name}Connection", (Connection,), namespace),
        name=f"{name}Connection",
        description=description,
    )
    return generated
