"""Schema extensions of our own: introspection guard and error logging with a request id."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

from app.graphql.errors import is_public

log = logging.getLogger("app.graphql")


class RefuseAnonymousIntrospection(SchemaExtension):
    """In production, introspection needs a logged-in caller (partners still get GraphiQL)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if getattr(context, "production", False) and getattr(context, "principal", 1) is None:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


class LogUnexpectedErrors(SchemaExtension):
    """Unexpected errors are masked for the client; the log keeps them, with the request id."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        request_id = getattr(self.execution_context.context, "request_id", "-")
        for error in result.errors:
            if not is_public(error):
                log.error(
                    "unexpected error in %s (request %s)",
                    ".".join(str(p) for p in error.path or []) or "operation",
                    request_id,
                    exc_info=error.original_error,
                )


class _NoSubscriptionHere(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if node.operation == OperationType.SUBSCRIPTION:
            self.report_error(
                GraphQLError(
                    "Subscriptions run over the WebSocket at /graphql (graphql-transport-ws)",
                    node,
                )
            )


class SubscriptionsOverWebSocketOnly(SchemaExtension):
    """A subscription sent over HTTP is a validation error (not a resolver failure)."""

    def on_operation(self) -> Iterator[None]:
        if getattr(self.execution_context.context, "connection", None) is None:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                _NoSubscriptionHere,
            )
        yield
