"""Live case events computed once per group of subscribers, and the same bytes sent to each.

Subscribers of `caseEvents` that would receive the same bytes for every event form a group:
the same document, operation name and variables, and the same audience
(domain.visibility.audience: for staff the role, for a customer who they are and the case they
follow; every visibility rule depends on nothing else). A group follows the event log once
(domain.usecases.live_events.follow_case_events with the feed of its first member: the same
feed for every member, since the audience is the same), executes the document once per event
with a context of that audience (fresh DataLoaders per event), serializes the payload once,
and hands the text to every member. Each member writes it to its own socket from its own
operation task, in order, after checking its own session (token expiry, logout, deactivation:
`LiveConnection.authorized`), with its own bounded queue: a member that stops reading falls
behind alone (closed with 1013, like an ungrouped subscriber), never delaying the others.

Only subscriptions that start "from now" are grouped: one with `after` replays the log from its
own cursor first and runs on its own (app.graphql.subscriptions). The first message of a member
carries its own cost report (`extensions.cost`), like an ungrouped subscription's.

The groups are per process; across processes each process has its own groups (the broker
delivers every event to every process, as before).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import orjson
from strawberry.types.graphql import OperationType

from app.graphql.context import Context, LiveConnection, LiveUpdates
from app.graphql.cost import CostReport
from app.graphql.loaders import Loaders
from domain import visibility
from domain.events import CaseEvent
from domain.live import SubscriberTooSlow
from domain.usecases.live_events import CaseEventFeed, follow_case_events

if TYPE_CHECKING:
    from strawberry import Schema

log = logging.getLogger("app.graphql.shared_events")


@dataclass(frozen=True, slots=True)
class OperationRef:
    """The graphql-transport-ws operation a subscription resolver runs for."""

    id: str
    query: str
    variables: Mapping[str, object] | None
    operation_name: str | None


# Set by the WebSocket handler (app.http.graphql_ws) in each operation's task: the resolver of
# `caseEvents` runs in that task and reads it to join a group.
current_operation: ContextVar[OperationRef | None] = ContextVar("current_operation", default=None)


class _GroupConnection:
    """The connection of a group's own context: the members check their sessions themselves."""

    def authorized(self) -> bool:
        return True

    async def close_unauthorized(self) -> NoReturn:  # pragma: no cover - never called
        raise AssertionError("a group has no socket")

    async def close_too_slow(self) -> NoReturn:  # pragma: no cover - never called
        raise AssertionError("a group has no socket")

    async def send_text(self, text: str) -> None:  # pragma: no cover - never called
        raise AssertionError("a group has no socket")


class _Member:
    """One subscriber of a group: its queue of payloads and its writer (its operation task)."""

    def __init__(
        self,
        connection: LiveConnection,
        operation_id: str,
        max_pending: int,
        cost: CostReport | None,
    ) -> None:
        self.connection = connection
        self.prefix = '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":'
        self.max_pending = max_pending
        self.cost = cost
        self.pending: deque[str] = deque()
        self.wake = asyncio.Event()
        self.failure: BaseException | None = None

    def deliver(self, payload: str) -> None:
        if len(self.pending) >= self.max_pending:
            self.fail(SubscriberTooSlow())
            return
        self.pending.append(payload)
        self.wake.set()

    def fail(self, failure: BaseException) -> None:
        if self.failure is None:
            self.failure = failure
        self.wake.set()

    async def run(self) -> NoReturn:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.pending:
                if self.failure is not None:
                    break
                payload = self.pending.popleft()
                if not self.connection.authorized():
                    await self.connection.close_unauthorized()
                if self.cost is not None:  # the first message: this member's own cost report
                    extension = orjson.dumps({"cost": self.cost.as_extension()}).decode()
                    payload = payload[:-1] + ',"extensions":' + extension + "}"
                    self.cost = None
                await self.connection.send_text(self.prefix + payload + "}")
            if self.failure is not None:
                raise self.failure


@dataclass(eq=False)
class _Group:
    key: tuple[Any, ...]
    feed: CaseEventFeed
    context: Context
    operation: OperationRef
    members: set[_Member] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class SharedEvents:
    """The groups of this process (see the module docstring). `executions` counts the event
    documents executed (once per group and event), `deliveries` the payloads handed to
    members: tests and the benchmark read them."""

    def __init__(self, schema: Schema, live: LiveUpdates) -> None:
        self.schema = schema
        self.live = live
        self.groups: dict[tuple[Any, ...], _Group] = {}
        self.executions = 0
        self.deliveries = 0

    async def follow(
        self,
        context: Context,
        feed: CaseEventFeed,
        operation: OperationRef,
        cost: CostReport | None,
    ) -> NoReturn:
        """Join (or start) the group of this subscription and write its events to this
        member's socket until the operation ends (cancelled) or the group fails (raised)."""
        connection = context.connection
        assert connection is not None
        key = (
            operation.query,
            operation.operation_name,
            json.dumps(operation.variables or {}, sort_keys=True, default=str),
            visibility.audience(feed.principal, feed.scope.case_id),
        )
        group = self.groups.get(key)
        if group is None:
            group = self._start(key, context, feed, operation)
        member = _Member(connection, operation.id, self.live.max_pending, cost)
        group.members.add(member)
        try:
            await member.run()
        finally:
            group.members.discard(member)
            if not group.members and self.groups.get(key) is group:
                del self.groups[key]
                if group.task is not None:
                    group.task.cancel()

    def _start(
        self,
        key: tuple[Any, ...],
        member_context: Context,
        feed: CaseEventFeed,
        operation: OperationRef,
    ) -> _Group:
        services = member_context.services
        context = Context(
            services=services,
            principal=feed.principal,
            request_loaders=Loaders(services),
            client="live-group",
            request_id=f"live-group-{len(self.groups)}",
            production=member_context.production,
            connection=_GroupConnection(),
        )
        group = _Group(key=key, feed=feed, context=context, operation=operation)
        self.groups[key] = group
        group.task = asyncio.create_task(self._run(group), name="live-group")
        return group

    async def _run(self, group: _Group) -> None:
        live = self.live
        try:
            async for event in follow_case_events(
                group.context.services,
                live.broker,
                group.feed,
                max_pending=live.max_pending,
                log=live.log,
            ):
                if not group.members:
                    continue
                payload = await self._execute(group, event)
                for member in list(group.members):
                    member.deliver(payload)
                self.deliveries += len(group.members)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every member reports it as its own
            for member in list(group.members):
                member.fail(exc)
        finally:
            if self.groups.get(group.key) is group:
                del self.groups[group.key]

    async def _execute(self, group: _Group, event: CaseEvent) -> str:
        from app.graphql.types.objects import CaseEvent as CaseEventType

        context = group.context
        context.request_loaders = Loaders(context.services)  # nothing cached across events
        operation = group.operation
        result = await self.schema.execute(
            operation.query,
            variable_values=dict(operation.variables or {}),
            context_value=context,
            root_value=CaseEventType.from_domain(event),
            operation_name=operation.operation_name,
            allowed_operation_types=(OperationType.SUBSCRIPTION,),
        )
        self.executions += 1
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            payload["extensions"] = result.extensions
        return orjson.dumps(payload).decode()
