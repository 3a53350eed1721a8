"""The import rules of ARCHITECTURE.md, checked two independent ways.

1. import-linter runs the contracts of ``[tool.importlinter]`` in pyproject.toml (the same check as
   ``make lint``), so the table of layers cannot rot.
2. A plain ``ast`` walk over domain/ that does not depend on import-linter's configuration: the
   domain core imports only the standard library and itself.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "domain"

# ARCHITECTURE.md: "domain never imports ..."
FORBIDDEN_IN_DOMAIN = frozenset(
    {
        "app",
        "adapters",
        "sqlmodel",
        "sqlalchemy",
        "strawberry",
        "starlette",
        "redis",
        "httpx",
        "jwt",
        "pydantic",
    }
)


def _lint_imports_command() -> list[str]:
    """The ``lint-imports`` script of this interpreter's environment (it sits next to python)."""
    script = Path(sys.executable).with_name("lint-imports")
    if script.exists():
        return [str(script)]
    # Same entry point as the console script (importlinter.cli:lint_imports_command).
    return [
        sys.executable,
        "-c",
        "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
    ]


def test_pyproject_declares_the_layer_contracts() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert set(config["root_packages"]) >= {"domain", "adapters", "app"}
    by_source = {tuple(c["source_modules"]): c for c in config["contracts"]}
    domain = by_source[("domain",)]
    assert domain["type"] == "forbidden"
    assert set(domain["forbidden_modules"]) >= FORBIDDEN_IN_DOMAIN
    assert set(by_source[("adapters",)]["forbidden_modules"]) >= {"app", "strawberry"}
    delivery = [
        c
        for c in config["contracts"]
        if "app.graphql" in c["source_modules"] and "adapters" in c["forbidden_modules"]
    ]
    assert delivery, "no contract keeps adapters out of app.graphql"


def test_import_linter_contracts_are_kept() -> None:
    result = subprocess.run(
        [*_lint_imports_command(), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = f"{result.stdout}\n{result.stderr}".strip()
    assert result.returncode == 0, f"lint-imports failed (exit {result.returncode}):\n{output}"
    # Guard against a run that "passes" without checking anything.
    assert "Contracts: " in output and " broken" in output, output
    assert "0 broken" in output, output


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))  # importlib.import_module("...")
    return found


def _forbidden_imports(source: str, filename: str) -> list[str]:
    problems = []
    for lineno, module in _imported_modules(ast.parse(source, filename=filename)):
        top = module.split(".")[0]
        if top in FORBIDDEN_IN_DOMAIN:
            problems.append(
                f"{filename}:{lineno}: imports {module!r} ({top} is forbidden in domain)"
            )
    return problems


def _domain_files() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_domain_exists_and_has_python_files() -> None:
    files = _domain_files()
    assert (DOMAIN / "__init__.py").is_file(), "domain/ must be a package"
    assert files, "no .py files under domain/"


def test_domain_imports_only_stdlib_and_domain() -> None:
    problems: list[str] = []
    for path in _domain_files():
        rel = path.relative_to(ROOT).as_posix()
        problems.extend(_forbidden_imports(path.read_text(encoding="utf-8"), rel))
    assert not problems, "domain/ must stay pure (ARCHITECTURE.md):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "culprit"),
    [
        ("import sqlalchemy", "sqlalchemy"),
        ("import sqlalchemy.orm as orm", "sqlalchemy.orm"),
        ("from pydantic import BaseModel", "pydantic"),
        ("from app.settings import Settings", "app.settings"),
        ("def f():\n    from adapters.clock import SystemClock\n", "adapters.clock"),
        ("if TYPE_CHECKING:\n    import strawberry\n", "strawberry"),
        ("import importlib\nimportlib.import_module('redis')\n", "redis"),
        ("import os, jwt", "jwt"),
    ],
)
def test_the_ast_check_catches(source: str, culprit: str) -> None:
    problems = _forbidden_imports(source, "domain/example.py")
    assert len(problems) == 1 and repr(culprit) in problems[0], problems


@pytest.mark.parametrize(
    "source",
    [
        "import dataclasses\nfrom datetime import datetime",
        "from domain.money import Money",
        "from . import money\nfrom .money import Money",
        "import application_helpers",  # a name that merely starts with a forbidden one
        "import httpx_like",
    ],
)
def test_the_ast_check_allows(source: str) -> None:
    assert _forbidden_imports(source, "domain/example.py") == []
