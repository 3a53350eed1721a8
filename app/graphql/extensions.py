"""Schema extensions of our own: introspection guard and error logging with a request id."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

from app.graphql.errors import ServiceUnavailable, is_public
from app.observability.metrics import observe_operation

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


class OperationMetrics(SchemaExtension):
    """Counts and times every operation (app.observability.metrics) by name, type and outcome,
    and its errors by code. First in the list: it sees the errors as the client does (masked
    ones have no code: INTERNAL; refused documents: GRAPHQL_VALIDATION)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            operation_type = context.operation_type.value
        except Exception:  # noqa: BLE001 - no document or no such operation
            operation_type = "unknown"
        codes: list[str] = []
        if context.pre_execution_errors:
            codes = [_code(e, "GRAPHQL_VALIDATION") for e in context.pre_execution_errors]
        elif context.result is not None and context.result.errors:
            codes = [_code(e, "INTERNAL") for e in context.result.errors]
        elapsed = time.perf_counter() - started
        observe_operation(
            context.operation_name,
            operation_type,
            codes,
            None if operation_type == "subscription" else elapsed,
        )


def _code(error: GraphQLError, default: str) -> str:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) and code.isupper() and len(code) <= 40 else default


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


# "database" / "redis" / "network" when an exception means a dependency is down (None: a bug);
# the composition root passes adapters.availability.dependency_unavailable.
DependencyClassifier = Callable[[BaseException], str | None]


def unavailable_error(error: GraphQLError, retry_after_seconds: int) -> GraphQLError:
    """The typed, retryable form of an error caused by a dependency outage."""
    public = ServiceUnavailable(
        f"The service is temporarily unavailable; retry in {retry_after_seconds} s",
        retryAfterSeconds=retry_after_seconds,
    )
    return GraphQLError(
        public.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=public,
        extensions=public.extensions,
    )


class DependencyErrors(SchemaExtension):
    """Errors caused by a dependency outage (PostgreSQL down or hanging, ...) become
    SERVICE_UNAVAILABLE with `retryAfterSeconds` instead of a masked "Unexpected error.":
    the client learns that retrying is right, and when. Runs before LogUnexpectedErrors, so
    outages are logged once as warnings, not as unexpected errors with a stack trace."""

    def __init__(self, *, classify: DependencyClassifier, retry_after_seconds: int) -> None:
        self.classify = classify
        self.retry_after_seconds = retry_after_seconds

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        rewritten: list[GraphQLError] = []
        for error in errors:
            original = error.original_error
            which = None if original is None or is_public(error) else self.classify(original)
            if which is None:
                rewritten.append(error)
                continue
            log.warning(
                "%s unavailable in %s (request %s): %s",
                which,
                ".".join(str(p) for p in error.path or []) or "operation",
                getattr(self.execution_context.context, "request_id", "-"),
                _describe(original),
            )
            rewritten.append(unavailable_error(error, self.retry_after_seconds))
        result.errors = rewritten  # type: ignore[union-attr]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


class ValidatedDocuments:
    """The validation results of the documents seen lately (LRU), per process.

    Keyed by the query text and the tuple of validation rule classes, both cheap to hash: the
    rule classes are the same objects on every request (app.graphql.schema builds the limiters'
    rules once), so a document sent again is never validated again. Strawberry's own
    ValidationCache keys on the parsed document, whose hash walks the whole tree on every
    request. `hits` and `misses` count lookups (tests and the benchmark read them)."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._results: OrderedDict[tuple[str, tuple[type[Any], ...]], list[GraphQLError]] = (
            OrderedDict()
        )
        self.hits = 0
        self.misses = 0

    def validate(
        self, schema: GraphQLSchema, query: str | None, document: DocumentNode, rules: Any
    ) -> list[GraphQLError]:
        from strawberry.schema.schema import validate_document

        rule_classes = tuple(rules)
        if query is None:  # a document given as such: nothing to key it by
            return validate_document(schema, document, rule_classes)
        key = (query, rule_classes)
        found = self._results.get(key)
        if found is not None:
            self.hits += 1
            self._results.move_to_end(key)
            return found
        self.misses += 1
        errors = validate_document(schema, document, rule_classes)
        self._results[key] = errors
        if len(self._results) > self.maxsize:
            self._results.popitem(last=False)
        return errors


class DocumentValidationCache(SchemaExtension):
    """Validation through a ValidatedDocuments store shared by every request of a schema."""

    def __init__(self, store: ValidatedDocuments) -> None:
        self.store = store

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        assert ec.graphql_document is not None
        ec.pre_execution_errors = self.store.validate(
            ec.schema._schema, ec.query, ec.graphql_document, ec.validation_rules
        )
        yield
