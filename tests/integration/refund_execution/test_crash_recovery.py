"""Exactly one payout per refund when refund workers are SIGKILLed, on PostgreSQL.

50 refunds are approved (decision + outbox job in one transaction). Then real worker processes
(`app.worker.run_worker`, forked from tests/integration/refund_execution/crash_driver.py) are
killed with SIGKILL by their own checkpoint hook (REFUND_WORKER_CRASH_AT), 50 times at each of:
- "claimed": right after the job's lease was committed;
- "sent": once the request to the gateway is on the wire, before any answer (the gateway pays);
- "answered": after the gateway answered, before the outcome was recorded.
The lease is about as long as one round of 50 kills, so each round spreads over all the refunds
and the next round takes the jobs over as their leases expire: most refunds are crashed on at
each checkpoint in turn (claimed, then paid by a worker that died, then answered to a worker that
died), and are finally recorded by a healthy worker.

The payment gateway simulator runs as a real HTTP server in its own process: its payout ledger is
the witness. Then a healthy `python -m app.worker` process starts; every refund must end
SUCCEEDED, with exactly one payout under its key, no job left behind; SIGTERM stops it cleanly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from domain.refunds import RefundStatus
from tests.integration.refund_execution.support import (
    ROOT,
    gateway_server,
    seed_approved_refunds,
    sql_services,
    statuses,
)
from tests.toolbox.polling import poll_until
from tests.toolbox.services import throwaway_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REFUNDS = 50
KILLS_PER_CHECKPOINT = 50
CHECKPOINTS = ("claimed", "sent", "answered")
LEASE_SECONDS = 12.0  # ~ one round of 50 kills on a 2-core machine


def worker_env(database_url: str, gateway_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "PAYMENT_GATEWAY_URL": gateway_url,
        "ORDER_SYSTEM_URL": "http://127.0.0.1:9",  # never called by the worker
        "PAYMENT_GATEWAY_TIMEOUT_SECONDS": "1.0",
        "REFUND_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "REFUND_WORKER_POLL_SECONDS": "0.05",
        "REFUND_WORKER_BACKOFF_BASE_SECONDS": "0.05",
        "REFUND_WORKER_BACKOFF_CAP_SECONDS": "0.5",
        "REFUND_WORKER_SHUTDOWN_GRACE_SECONDS": "5",
        "LOG_LEVEL": "INFO",
    }


async def test_sigkilled_workers_never_lose_or_double_a_refund(tmp_path: Path) -> None:
    async with throwaway_database("crash") as database_url:
        with gateway_server(log_file=tmp_path / "gateway.log") as gateway:
            async with sql_services(database_url, gateway.url) as world:
                refund_ids = await seed_approved_refunds(world, REFUNDS)
            env = worker_env(database_url, gateway.url)

            # 1) 150 workers, each SIGKILLed by its own checkpoint hook.
            report_path = tmp_path / "crashes.json"
            driver = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.integration.refund_execution.crash_driver",
                "--checkpoints",
                ",".join(CHECKPOINTS),
                "--kills",
                str(KILLS_PER_CHECKPOINT),
                "--out",
                str(report_path),
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, driver_err = await asyncio.wait_for(driver.communicate(), timeout=600)
            assert driver.returncode == 0, driver_err.decode(errors="replace")[-4000:]
            report = json.loads(report_path.read_text())
            rounds = report["rounds"]
            bad = [
                r for r in rounds if not (r["killed_by_sigkill"] and r["hit"] == r["checkpoint"])
            ]
            assert not bad, bad[:3]
            hits = Counter(r["hit"] for r in rounds)
            assert hits == dict.fromkeys(CHECKPOINTS, KILLS_PER_CHECKPOINT), hits
            crashed_on = Counter(r["key"] for r in rounds)
            assert set(crashed_on) <= {f"{refund_id}:1" for refund_id in refund_ids}

            # Midway: the gateway paid for requests whose worker died (none recorded), never
            # twice.
            midway = gateway.payouts_by_key()
            assert midway and all(count == 1 for count in midway.values()), midway
            async with sql_services(database_url, gateway.url) as world:
                seen = await statuses(world, refund_ids)
            paid_ids = [key.split(":")[0] for key in midway]
            assert {seen[refund_id] for refund_id in paid_ids} == {RefundStatus.PROCESSING}
            assert RefundStatus.SUCCEEDED not in seen.values()
            print(
                f"crash rounds: {len(rounds)} kills in {report['seconds']} s; "
                f"{len(crashed_on)} refunds crashed on; {len(midway)} paid by dead workers"
            )

            # 2) A healthy worker process takes every job over once the leases have expired.
            log_path = tmp_path / "worker.log"
            log_file = await asyncio.to_thread(open, log_path, "wb")
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "app.worker",
                cwd=ROOT,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log_file,
            )
            try:
                async with sql_services(database_url, gateway.url) as world:

                    async def seen() -> Counter[RefundStatus]:
                        assert worker.returncode is None, log_path.read_text()[-3000:]
                        return Counter((await statuses(world, refund_ids)).values())

                    await poll_until(
                        seen,
                        until=lambda by_status: set(by_status) == {RefundStatus.SUCCEEDED},
                        deadline=90,
                        interval=0.2,
                    )
                worker.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(worker.wait(), timeout=30) == 0
            finally:
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
                log_file.close()
            worker_log = log_path.read_text()
            assert "refund worker: shutting down" in worker_log  # SIGTERM: a graceful stop
            assert "payment gateway call: refund=" in worker_log

            # 3) The witness: exactly one payout per refund, of its amount, under its key.
            ledger = gateway.ledger()
            by_key = Counter(p["idempotency_key"] for p in ledger["payouts"])
            assert by_key == {f"{refund_id}:1": 1 for refund_id in refund_ids}
            assert {p["amount"] for p in ledger["payouts"]} == {3000}
            assert ledger["replays"] > 0  # takeovers asked again, and were answered from the key

            async with (
                sql_services(database_url, gateway.url) as world,
                world.services.uow() as uow,
            ):
                session = uow.session  # type: ignore[attr-defined]
                jobs = (
                    await session.execute(
                        text("SELECT status, count(*) FROM refund_jobs GROUP BY status")
                    )
                ).all()
                takeovers = (
                    await session.execute(text("SELECT max(claims) FROM refund_jobs"))
                ).scalar_one()
                gateway_ids = (
                    await session.execute(
                        text(
                            "SELECT count(DISTINCT gateway_refund_id) FROM refunds "
                            "WHERE status = 'SUCCEEDED'"
                        )
                    )
                ).scalar_one()
            assert dict(jobs) == {"DONE": REFUNDS}  # nothing lost, nothing stuck
            assert takeovers >= 3  # some refund was crashed on several times
            assert gateway_ids == REFUNDS
