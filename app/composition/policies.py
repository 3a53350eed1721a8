"""Settings -> the domain's policies (pure values; no I/O)."""

from __future__ import annotations

from datetime import timedelta

from app.settings import Settings
from domain.cases import CaseRules
from domain.outbound_webhooks import WebhookDeliveryPolicy
from domain.refund_jobs import RefundExecutionPolicy
from domain.refunds import RefundPolicy
from domain.retention import RetentionPolicy
from domain.usecases.services import AuthRules


def refund_policy(settings: Settings) -> RefundPolicy:
    return RefundPolicy(
        window=timedelta(days=settings.refund_window_days),
        not_received_grace=timedelta(days=settings.not_received_grace_days),
        auto_approve_max_minor=settings.auto_approve_max_minor,
        auto_approve_max_recent_refunds=settings.auto_approve_max_recent_refunds,
        auto_approve_lookback=timedelta(days=settings.auto_approve_lookback_days),
        agent_limit_minor=settings.agent_approval_limit_minor,
        requests_per_day=settings.refund_requests_per_day,
    )


def refund_execution_policy(settings: Settings) -> RefundExecutionPolicy:
    return RefundExecutionPolicy(
        lease=timedelta(seconds=settings.refund_worker_lease_seconds),
        backoff_base=timedelta(seconds=settings.refund_worker_backoff_base_seconds),
        backoff_cap=timedelta(seconds=settings.refund_worker_backoff_cap_seconds),
        give_up_after=timedelta(hours=settings.refund_worker_give_up_hours),
    )


def retention_policy(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        idempotency_keys=timedelta(hours=settings.retention_idempotency_key_hours),
        webhook_deliveries=timedelta(days=settings.retention_webhook_delivery_days),
        outbound_deliveries=timedelta(days=settings.retention_outbound_webhook_days),
        ended_sessions=timedelta(days=settings.retention_ended_session_days),
    )


def case_rules(settings: Settings) -> CaseRules:
    return CaseRules(
        reopen_within=timedelta(days=settings.reopen_within_days),
        auto_close_after=timedelta(days=settings.auto_close_after_days),
        rating_window=timedelta(days=settings.rating_window_days),
    )


def auth_rules(settings: Settings) -> AuthRules:
    return AuthRules(
        refresh_token_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds),
        login_attempts_per_minute=settings.login_attempts_per_minute,
    )


def webhook_delivery_policy(settings: Settings) -> WebhookDeliveryPolicy:
    return WebhookDeliveryPolicy(
        max_attempts=settings.webhook_max_attempts,
        backoff_base=timedelta(seconds=settings.webhook_backoff_base_seconds),
        backoff_cap=timedelta(seconds=settings.webhook_backoff_cap_seconds),
        disable_after_failures=settings.webhook_disable_after_failures,
        request_timeout=timedelta(seconds=settings.webhook_timeout_seconds),
        lease=timedelta(seconds=settings.webhook_lease_seconds),
        rotation_grace=timedelta(hours=settings.webhook_rotation_grace_hours),
        allow_private_targets=settings.effective_webhook_allow_private_targets,
    )
