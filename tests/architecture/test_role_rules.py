"""The GraphQL layer does not decide by role: who may see or do what is domain.visibility and the
use cases; app/graphql/permissions.py (the permission classes, claims only) is the one exception.

An `ast` walk over app/graphql flags, outside permissions.py:
- any read of `.is_staff` (on a principal, a role, anything),
- `.role` or a `Role.<member>` inside a comparison or a condition (if, while, assert, ternary,
  boolean operators, `not`, comprehension filters, match).
Using `Role` to describe the GraphQL enum (types/common.py) is not a decision and stays allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GRAPHQL = ROOT / "app" / "graphql"
ALLOWED = {GRAPHQL / "permissions.py"}


def _decision_nodes(tree: ast.AST) -> list[ast.AST]:
    """Expressions whose value decides something."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
            found.append(node.test)
        elif isinstance(node, ast.BoolOp | ast.Compare):
            found.append(node)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append(node.operand)
        elif isinstance(node, ast.comprehension):
            found.extend(node.ifs)
        elif isinstance(node, ast.Match):
            found.append(node.subject)
            found.extend(case.pattern for case in node.cases)
    return found


def _is_role_reference(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "role":
        return True
    # Role.AGENT, users.Role.ADMIN, ...
    if isinstance(node, ast.Attribute):
        base = node.value
        if isinstance(base, ast.Name) and base.id == "Role":
            return True
        if isinstance(base, ast.Attribute) and base.attr == "Role":
            return True
    return isinstance(node, ast.MatchValue) and _is_role_reference(node.value)


def role_branches(source: str, filename: str = "<source>") -> list[str]:
    tree = ast.parse(source, filename=filename)
    problems: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "is_staff":
            problems.add((node.lineno, "reads .is_staff"))
    for decision in _decision_nodes(tree):
        for node in ast.walk(decision):
            if _is_role_reference(node):
                problems.add((getattr(node, "lineno", 0), "decides on a role"))
    return [f"{filename}:{line}: {what}" for line, what in sorted(problems)]


def _graphql_files() -> list[Path]:
    return sorted(p for p in GRAPHQL.rglob("*.py") if p not in ALLOWED)


def test_the_graphql_layer_has_modules_to_check() -> None:
    files = _graphql_files()
    assert len(files) > 10, files
    assert any(p.parent.name == "queries" for p in files)


def test_no_graphql_module_but_permissions_branches_on_roles() -> None:
    problems: list[str] = []
    for path in _graphql_files():
        rel = path.relative_to(ROOT).as_posix()
        problems.extend(role_branches(path.read_text(encoding="utf-8"), rel))
    assert not problems, (
        "decide visibility and access in domain.visibility / the use cases "
        "(or a permission class in app/graphql/permissions.py):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize(
    "source",
    [
        "if principal.is_staff:\n    pass",
        "x = info.context.principal.is_staff",
        "ok = principal.role == Role.ADMIN",
        "ok = user.role is Role.CUSTOMER",
        "ok = a and Role.AGENT in roles",
        "y = 1 if p.role.value == 'ADMIN' else 2",
        "ok = [u for u in users if u.role]",
        "match p.role:\n    case Role.ADMIN:\n        pass",
        "assert not user.role",
    ],
)
def test_the_check_catches(source: str) -> None:
    assert role_branches(source), source


@pytest.mark.parametrize(
    "source",
    [
        "_enum(Role, 'What a user may do.', {Role.CUSTOMER: 'A customer.'})",
        "def role(self) -> Role:\n    return self.model.role",
        "if visibility.sees_internal(principal):\n    pass",
        "ok = visibility.may_see_user(principal, user)",
    ],
)
def test_the_check_allows(source: str) -> None:
    assert role_branches(source) == [], source
