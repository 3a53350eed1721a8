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
from app.graphql.mutations.apply_macro import apply_macro
from app.graphql.mutations.approve_refund import approve_refund
from app.graphql.mutations.assign_case import assign_case
from app.graphql.mutations.cancel_refund import cancel_refund
from app.graphql.mutations.change_case_status import change_case_status
from app.graphql.mutations.change_user_role import change_user_role
from app.graphql.mutations.create_macro import create_macro
from app.graphql.mutations.create_user import create_user
from app.graphql.mutations.deactivate_user import deactivate_user
from app.graphql.mutations.delete_macro import delete_macro
from app.graphql.mutations.login import login
from app.graphql.mutations.logout import logout
from app.graphql.mutations.open_case import open_case
from app.graphql.mutations.post_message import post_message
from app.graphql.mutations.rate_case import rate_case
from app.graphql.mutations.reactivate_user import reactivate_user
from app.graphql.mutations.refresh_session import refresh_session
from app.graphql.mutations.register_webhook_endpoint import register_webhook_endpoint
from app.graphql.mutations.reject_refund import reject_refund
from app.graphql.mutations.replay_order_webhook import replay_order_webhook
from app.graphql.mutations.request_refund import request_refund
from app.graphql.mutations.resend_webhook_delivery import resend_webhook_delivery
from app.graphql.mutations.reset_user_password import reset_user_password
from app.graphql.mutations.retry_refund import retry_refund
from app.graphql.mutations.rotate_webhook_secret import rotate_webhook_secret
from app.graphql.mutations.set_case_priority import set_case_priority
from app.graphql.mutations.start_browser_session import start_browser_session
from app.graphql.mutations.update_macro import update_macro
from app.graphql.mutations.update_webhook_endpoint import update_webhook_endpoint
from app.graphql.queries import Query
from app.graphql.subscriptions import Subscription
from app.graphql.types.macros import Macro
from app.graphql.types.objects import CaseEvent, Message, Order, Refund, SupportCase, User

log = logging.getLogger("app.graphql")


@strawberry.type(description="Changes. Each takes one `input` and returns a result union.")
class Mutation:
    # Each mutation's field is its resolver, decorated in its module (app.graphql.mutations).
    login = login
    start_browser_session = start_browser_session
    refresh_session = refresh_session
    logout = logout
    open_case = open_case
    post_message = post_message
    assign_case = assign_case
    change_case_status = change_case_status
    set_case_priority = set_case_priority
    request_refund = request_refund
    cancel_refund = cancel_refund
    approve_refund = approve_refund
    reject_refund = reject_refund
    retry_refund = retry_refund
    create_user = create_user
    change_user_role = change_user_role
    deactivate_user = deactivate_user
    reactivate_user = reactivate_user
    reset_user_password = reset_user_password
    register_webhook_endpoint = register_webhook_endpoint
    update_webhook_endpoint = update_webhook_endpoint
    rotate_webhook_secret = rotate_webhook_secret
    resend_webhook_delivery = resend_webhook_delivery
    replay_order_webhook = replay_order_webhook
    create_macro = create_macro
    update_macro = update_macro
    delete_macro = delete_macro
    apply_macro = apply_macro
    rate_case = rate_case


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
