"""What the bench reports say about where they ran: the machine, Python and package versions,
the PostgreSQL server's version."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
from collections.abc import Iterable
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

from tests.toolbox.services import asyncpg_dsn


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_and_python(packages: Iterable[str]) -> list[str]:
    """Two report lines: the machine; Python and the versions of `packages`."""
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    return [
        f"- Machine: {cpu_model()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); {versions}",
    ]


async def postgres_version(database_url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=5)
    try:
        return str(await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()
