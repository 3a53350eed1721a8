"""`make bench` end to end in seconds: BENCH_QUICK=1 runs every step of bench/harness.py (seed,
the service, floors and peers, postMessage, 1 and 2 API processes) with a few requests each and
writes its report elsewhere than docs/. No timing is asserted: only that it runs and reports
every workload and variant, each answering the service's data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.toolbox.services import POSTGRES_URL, REDIS_URL

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]


def test_the_harness_runs_end_to_end(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BENCH_QUICK": "1",
        "BENCH_POSTGRES_URL": POSTGRES_URL,
        "BENCH_REDIS_URL": REDIS_URL,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.harness", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = (tmp_path / "bench-list-cases.md").read_text()
    for workload in ("queue page", "5-messages page", "postMessage"):
        assert f"| {workload} | data floor" in report, workload
        assert f"| {workload} | this service (Strawberry)" in report, workload
    for variant in ("graphql-core alone", "naive Strawberry", "Ariadne"):
        assert report.count(f"| {variant} (") == 2, variant  # both pages
    assert "| NO |" not in report  # every peer answered the service's data
    assert "| 1 | " in report and "| 2 | " in report  # 1 and 2 API processes
    svg = (tmp_path / "bench-list-cases.svg").read_text()
    assert svg.startswith("<svg") and "this service" in svg
