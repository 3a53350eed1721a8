"""Suite-wide rules.

- Under CI (CI=true) a skipped test is a failure: every service-backed test must really run
  there. Locally, skips are allowed and listed at the end of the run.
- Markers `postgres` / `redis`: every test that needs the server carries the marker, so that
  `pytest -m "not postgres and not redis"` runs without them. A test module or parameter whose
  own code reaches a server says so itself (`pytestmark = ...`, `pytest.param(..., marks=...)`);
  a test that uses one of the shared fixtures below (directly or through another fixture) gets
  the markers here.
"""

from __future__ import annotations

import pytest

from tests.toolbox.services import IN_CI, POSTGRES_URL, REDIS_URL

# Shared fixtures that bring up services, and the servers they need.
SERVICE_FIXTURES: dict[str, tuple[str, ...]] = {
    "postgres_url": ("postgres",),  # tests/api/conftest.py: the API's migrated database
    "api": ("postgres", "redis"),  # tests/api/conftest.py: the app on PostgreSQL + Redis
}


@pytest.hookimpl(tryfirst=True)  # before `-m` selects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            for marker in SERVICE_FIXTURES.get(fixture, ()):
                item.add_marker(marker)


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
        f"PostgreSQL: {POSTGRES_URL}",
        f"Redis: {REDIS_URL}",
    ]
