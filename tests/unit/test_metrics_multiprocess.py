"""PROMETHEUS_MULTIPROC_DIR: several processes behind one port (uvicorn --workers N) add up their
figures in /metrics, and a finished process's live gauges are forgotten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.toolbox.metrics import parse
from tests.toolbox.processes import PROJECT_ROOT

COUNT = """
import os, sys
from app.observability import metrics
metrics.observe_webhook("order_system", accepted=False, reason="bad_signature")
metrics.websocket_opened()
if sys.argv[1] == "exit":
    metrics.process_exited(os.getpid())
"""

SCRAPE = """
import sys
from app.observability import metrics
sys.stdout.write(metrics.exposition().decode())
"""


def run(code: str, directory: Path, *args: str) -> str:
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_processes_add_up_and_finished_ones_leave_live_gauges(tmp_path: Path) -> None:
    run(COUNT, tmp_path, "stay")  # its pid stays "live" as far as the files know
    run(COUNT, tmp_path, "exit")  # says it finished
    scrape = parse(run(SCRAPE, tmp_path))
    refused = {"source": "order_system", "result": "refused", "reason": "bad_signature"}
    assert scrape.value("support_webhooks_received_total", **refused) == 2  # counters: both
    assert scrape.value("support_websocket_connections") == 1  # livesum: the finished one left
