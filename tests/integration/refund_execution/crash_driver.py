"""Kill refund workers at their checkpoints, many times: the driver of test_crash_recovery.py.

    python -m tests.integration.refund_execution.crash_driver \
        --checkpoints claimed,sent,answered --kills 50 --out result.json

Settings come from the environment (DATABASE_URL, PAYMENT_GATEWAY_URL, REFUND_WORKER_*), as for
`python -m app.worker`. This process imports everything once, then for every kill forks a child
(multiprocessing, start method "fork": cheap) that runs the real worker (app.worker.run_worker)
with REFUND_WORKER_CRASH_AT set; the worker SIGKILLs itself at that checkpoint, after writing
"CRASH CHECKPOINT <name> <idempotency key>" to its stderr (a file per child). The driver checks
that the child died by SIGKILL at the expected checkpoint and writes a JSON report.

The driver itself never runs an event loop while it forks (no loop state, no threads to inherit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.settings import Settings
from app.worker import run_worker

CRASH_LINE = re.compile(r"CRASH CHECKPOINT (\S+) (\S+)")


def _child(checkpoint: str, stderr_path: str) -> None:
    fd = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)
    settings = Settings(refund_worker_crash_at=checkpoint)  # type: ignore[arg-type]
    asyncio.run(run_worker(settings, with_case_scheduler=False, install_signal_handlers=False))
    os._exit(3)  # the worker must die at its checkpoint, never return


def kill_rounds(checkpoint: str, kills: int, folder: Path, timeout: float) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("fork")
    rounds: list[dict[str, Any]] = []
    for index in range(kills):
        stderr_path = folder / f"{checkpoint}-{index}.err"
        started = time.monotonic()
        process = context.Process(target=_child, args=(checkpoint, str(stderr_path)))
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            exitcode: int | None = None
        else:
            exitcode = process.exitcode
        text = stderr_path.read_text(errors="replace") if stderr_path.exists() else ""
        match = CRASH_LINE.search(text)
        rounds.append(
            {
                "checkpoint": checkpoint,
                "exitcode": exitcode,
                "killed_by_sigkill": exitcode == -signal.SIGKILL,
                "hit": match.group(1) if match else None,
                "key": match.group(2) if match else None,
                "seconds": round(time.monotonic() - started, 3),
                "stderr_tail": "" if match else text[-2000:],
            }
        )
    return rounds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoints", default="claimed,sent,answered")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=30.0, help="per child, seconds")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rounds: list[dict[str, Any]] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-driver-") as folder:
        for checkpoint in args.checkpoints.split(","):
            rounds += kill_rounds(checkpoint, args.kills, Path(folder), args.timeout)
    report = {"rounds": rounds, "seconds": round(time.monotonic() - started, 3)}
    args.out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
