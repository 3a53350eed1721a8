"""The schema: Query, Mutation, Subscription, limits and caches. No import-time side effects."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.graphql.attributes import direct_attributes
from app.graphql.cost import CostLimit, CostRules
from app.graphql.errors import is_public, should_mask
from app.graphql.extensions import (
    DependencyClassifier,
    DependencyErrors,
    DocumentValidationCache,
    LogUnexpectedErrors,
    OperationMetrics,
    RefuseAnonymousIntrospection,
    SubscriptionsOverWebSocketOnly,
    ValidatedDocuments,
)
from app.graphql.mutations import (
    apply_macro,
    approve_refund,
    assign_case,
    cancel_refund,
    change_case_status,
    change_user_role,
    create_macro,
    create_user,
    deactivate_user,
    delete_macro,
    login,
    logout,
    open_case,
    post_message,
    rate_case,
    reactivate_user,
    refresh_session,
    register_webhook_endpoint,
    reject_refund,
    replay_order_webhook,
    request_refund,
    resend_webhook_delivery,
    reset_user_password,
    retry_refund,
    rotate_webhook_secret,
    set_case_priority,
    start_browser_session,
    update_macro,
    update_webhook_endpoint,
)
from app.graphql.queries import Query
from app.graphql.subscriptions import Subscription
from app.graphql.types.macros import Macro
from app.graphql.types.objects import CaseEvent, Message, Order, Refund, SupportCase, User

log = logging.getLogger("app.graphql")


@strawberry.type(description="Changes. Each takes one `input` and returns a result union.")
class Mutation:
    login = login.field
    start_browser_session = start_browser_session.field
    refresh_session = refresh_session.field
    logout = logout.field
    open_case = open_case.field
    post_message = post_message.field
    assign_case = assign_case.field
    change_case_status = change_case_status.field
    set_case_priority = set_case_priority.field
    request_refund = request_refund.field
    cancel_refund = cancel_refund.field
    approve_refund = approve_refund.field
    reject_refund = reject_refund.field
    retry_refund = retry_refund.field
    create_user = create_user.field
    change_user_role = change_user_role.field
    deactivate_user = deactivate_user.field
    reactivate_user = reactivate_user.field
    reset_user_password = reset_user_password.field
    register_webhook_endpoint = register_webhook_endpoint.field
    update_webhook_endpoint = update_webhook_endpoint.field
    rotate_webhook_secret = rotate_webhook_secret.field
    resend_webhook_delivery = resend_webhook_delivery.field
    replay_order_webhook = replay_order_webhook.field
    create_macro = create_macro.field
    update_macro = update_macro.field
    delete_macro = delete_macro.field
    apply_macro = apply_macro.field
    rate_case = rate_case.field


class AppSchema(strawberry.Schema):
    """Expected errors (validation, FORBIDDEN, UNAUTHENTICATED...) are the client's business and
    are not logged as server errors; unexpected ones are logged by LogUnexpectedErrors with the
    request id, so Strawberry's default logging of every error is turned off here.

    `validated` holds the validation results of the documents seen lately (build_schema)."""

    validated: ValidatedDocuments

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if is_public(error):
                log.debug("client error: %s", error.message)


def _no_dependency_errors(_: BaseException) -> str | None:
    return None


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 2000,
    cost_rules: CostRules | None = None,
    unavailable: DependencyClassifier = _no_dependency_errors,
    retry_after_seconds: int = 2,
) -> AppSchema:
    """`unavailable` tells dependency outages from bugs (see DependencyErrors)."""
    # The depth and alias limiters build a new rule class per instance: built once here, so
    # every request validates with the same rule classes and the validation cache (keyed by the
    # query text and them) hits. A factory creating the limiters per request would miss the
    # cache every time (tests/unit/test_document_cache.py).
    limit_rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    rules = cost_rules or CostRules()
    validated = ValidatedDocuments(maxsize=256)
    schema = AppSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[User, SupportCase, Message, Order, Refund, CaseEvent, Macro],
        config=StrawberryConfig(),
        extensions=[
            RefuseAnonymousIntrospection,
            SubscriptionsOverWebSocketOnly,
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: AddValidationRules(limit_rules),
            lambda: ParserCache(maxsize=256),
            lambda: DocumentValidationCache(validated),
            lambda: CostLimit(rules),  # after the validation cache: it reads its result
            lambda: DependencyErrors(classify=unavailable, retry_after_seconds=retry_after_seconds),
            LogUnexpectedErrors,
            lambda: MaskErrors(should_mask_error=should_mask),
            OperationMetrics,  # last: hooks exit in list order, so it sees the masked errors
        ],
    )
    schema.validated = validated
    direct_attributes(schema._schema)
    return schema
