"""The operator CLI: every job is a subcommand, and each reaches the module that does the job."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import cli

runner = CliRunner()


def test_help_lists_every_job() -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "worker", "migrate", "order-status", "schema"):
        assert command in result.output


def test_schema_check_passes_on_the_committed_schema() -> None:
    result = runner.invoke(cli.app, ["schema", "check"])
    assert result.exit_code == 0, result.output


def test_migrate_brings_a_new_database_to_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    result = runner.invoke(cli.app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "newest migration" in result.output
    assert (tmp_path / "cli.db").stat().st_size > 0


def test_order_status_refuses_an_unknown_status() -> None:
    result = runner.invoke(cli.app, ["order-status", "ord-alice-3", "LOST"])
    assert result.exit_code != 0


def test_order_status_says_when_the_simulator_is_unreachable() -> None:
    result = runner.invoke(
        cli.app, ["order-status", "ord-alice-3", "DELIVERED", "--url", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 1
