"""`mypy --strict` (with Strawberry's plugin, [tool.mypy] in pyproject.toml) is clean on the three
packages: the same check as `make lint`, here so that CI (which runs the test command) keeps it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "adapters", "app")


def test_mypy_is_strict_with_the_strawberry_plugin() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert "strawberry.ext.mypy_plugin" in config.get("plugins", [])


def test_make_lint_type_checks_every_package() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert f"mypy {' '.join(PACKAGES)}" in makefile


def test_mypy_strict_is_clean_on_domain_adapters_and_app() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = f"{result.stdout}\n{result.stderr}".strip()
    assert result.returncode == 0, output
    assert "Success: no issues found" in output, output
