"""Suite-wide rules. Under CI (CI=true) a skipped test is a failure: every service-backed test
must really run there. Locally, skips are allowed and listed at the end of the run."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which counts as a failure: {reason}"


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"CI mode: {IN_CI} (skips {'fail' if IN_CI else 'are reported'})",
        "PostgreSQL: "
        + os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
        "Redis: " + os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    ]
