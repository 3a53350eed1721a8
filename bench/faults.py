"""Runs the fault suite (tests/faults/test_service_faults.py) and writes the numbers of this run
into docs/faults.md (its last section; the promises and the degradation table above it are
prose, kept as they are).

    TEST_POSTGRES_URL=... TEST_REDIS_URL=... uv run python -m bench.faults [--out docs/faults.md]

The suite asserts only generous deadlines; the measured numbers live here (QUALITY.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUITE = "tests/faults/test_service_faults.py"

SCENARIOS = [
    ("baseline", "No fault", "-"),
    ("postgres_reset", "PostgreSQL reset (every connection RST, new ones refused)", "3 s"),
    ("postgres_hanging", "PostgreSQL hanging (accepts, never answers)", "4 s"),
    ("redis_reset", "Redis reset", "3 s"),
    ("redis_hanging", "Redis hanging", "3 s"),
]

NUMBERS_HEADING = "## Numbers of the last run"


def render(numbers: dict[str, Any], when: str) -> str:
    """The numbers section of docs/faults.md (the prose above it is kept as written)."""
    lines = [f"{NUMBERS_HEADING} ({when})", ""]
    lines += [
        "| Scenario | Fault for | Requests | Served | Typed SERVICE_UNAVAILABLE | Failed otherwise "
        "| Slowest answer | Served again after the restore |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, label, length in SCENARIOS:
        n = numbers.get(key)
        if n is None:
            continue
        recovered = n.get("recovered_after_s")
        lines.append(
            f"| {label} | {length} | {n['requests']} | {n['served']} | {n['typed_unavailable']} "
            f"| {n['failed']} | {n['slowest_s']:.2f} s "
            f"| {'-' if recovered is None else f'{recovered:.2f} s'} |"
        )
    hanging = numbers.get("postgres_hanging", {}).get("readyz_during_fault")
    if hanging:
        lines += [
            "",
            f"`/readyz` while PostgreSQL hangs: {hanging['status']} in {hanging['seconds']:.2f} s.",
        ]
    money = numbers.get("money")
    if money:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(money.get("outcomes", {}).items()))
        lines += [
            "",
            f"Afterwards: {money['messages']} messages attempted, each stored once or not at all "
            f"(outcomes: {outcomes}); {money['retried_writes']} writes retried with their key; "
            f"{money['refunds']} refunds, {money['paid']} payouts, none twice.",
        ]
    live = numbers.get("live_updates")
    if live:
        lines += [
            "",
            f"The subscription open through every fault received {live['received']} of "
            f"{live['events']} committed events, each once, in order "
            f"({live['reconnects']} reconnects).",
        ]
    stop = numbers.get("sigterm_database_hanging")
    if stop:
        lines += [
            "",
            f"SIGTERM with PostgreSQL hanging and the subscription open: exited in "
            f"{stop['exit_seconds']:.2f} s (grace period {stop['grace_seconds']:.0f} s), "
            f"WebSocket closed with {stop['websocket_close_codes']}; the request stuck on the "
            f"database: `{stop['stuck_request']}`.",
        ]
    lines += ["", f"Machine: {platform.machine()}, Python {platform.python_version()}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "faults.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "faults.json"
        env = {**os.environ, "FAULTS_REPORT": str(report)}
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", SUITE]
        result = subprocess.run(command, cwd=ROOT, env=env, check=False)
        if not report.exists():
            sys.exit(f"the fault suite wrote no numbers (exit {result.returncode})")
        numbers = json.loads(report.read_text())
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    out = Path(args.out)
    prose = out.read_text().split(NUMBERS_HEADING, 1)[0] if out.exists() else "# Faults\n\n"
    out.write_text(prose + render(numbers, when))
    print(f"wrote {args.out}")
    if result.returncode != 0:
        sys.exit(f"the fault suite failed (exit {result.returncode}): the numbers show where")


if __name__ == "__main__":
    main()
