"""CI's schema compatibility check: what a released schema promised stays, unless it was
deprecated first (app.schema_compat, graphql-core's find_breaking_changes against
docs/schema/released-*.graphql)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from graphql import BreakingChangeType, build_schema

from app.schema_compat import (
    ROOT,
    breaking_changes,
    check,
    released_schemas,
    unreleased_changes,
)
from app.schema_export import SCHEMA_PATH, render

RELEASED = """
type Query {
  viewer: User
  agents: [User!]! @deprecated(reason: "Use agentsConnection.")
  users(first: Int, role: Role): [User!]!
}
type User { id: ID! name: String! legacyName: String @deprecated(reason: "Use name.") }
enum Role { CUSTOMER AGENT OLD @deprecated(reason: "Gone soon.") }
"""


def changes(current: str) -> list[tuple[BreakingChangeType, str]]:
    found = breaking_changes(build_schema(RELEASED), build_schema(current))
    return [(v.type, v.description) for v in found]


def test_the_1_0_schema_is_released() -> None:
    assert "1.0" in released_schemas()


def test_the_schema_of_the_code_breaks_no_released_schema() -> None:
    violations = check(render())
    assert not violations, "\n".join(str(v) for v in violations)


def test_the_committed_schema_passes_the_command_line_check() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.schema_compat"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_an_unchanged_or_extended_schema_is_compatible() -> None:
    assert changes(RELEASED) == []
    extended = RELEASED.replace("viewer: User", "viewer: User\n  agentCount: Int!")
    assert changes(extended) == []


def test_removing_a_released_field_that_was_not_deprecated_fails() -> None:
    broken = RELEASED.replace("users(first: Int, role: Role): [User!]!", "")
    assert changes(broken) == [(BreakingChangeType.FIELD_REMOVED, "Field Query.users was removed.")]


def test_retyping_a_released_field_or_argument_fails() -> None:
    retyped = RELEASED.replace("name: String!", "name: Int!")
    assert [t for t, _ in changes(retyped)] == [BreakingChangeType.FIELD_CHANGED_KIND]
    retyped_arg = RELEASED.replace("role: Role", "role: String")
    assert [t for t, _ in changes(retyped_arg)] == [BreakingChangeType.ARG_CHANGED_KIND]


def test_removing_an_argument_or_enum_value_or_adding_a_required_argument_fails() -> None:
    assert [t for t, _ in changes(RELEASED.replace("first: Int, ", ""))] == [
        BreakingChangeType.ARG_REMOVED
    ]
    assert [t for t, _ in changes(RELEASED.replace("AGENT ", ""))] == [
        BreakingChangeType.VALUE_REMOVED_FROM_ENUM
    ]
    assert [t for t, _ in changes(RELEASED.replace("first: Int,", "first: Int!,"))] == [
        BreakingChangeType.ARG_CHANGED_KIND
    ]


def test_removing_what_was_deprecated_in_the_released_schema_passes() -> None:
    trimmed = (
        RELEASED.replace('agents: [User!]! @deprecated(reason: "Use agentsConnection.")', "")
        .replace('legacyName: String @deprecated(reason: "Use name.")', "")
        .replace('OLD @deprecated(reason: "Gone soon.")', "")
    )
    assert changes(trimmed) == []


def test_a_type_goes_only_when_everything_using_it_was_deprecated() -> None:
    released = build_schema(
        'type Query { a: Old @deprecated(reason: "x") b: Kept } type Old { x: Int } '
        "type Kept { x: Int }"
    )
    assert (
        breaking_changes(released, build_schema("type Query { b: Kept } type Kept { x: Int }"))
        == []
    )
    in_use = build_schema(
        'type Query { a: Old @deprecated(reason: "x") b: Old } type Old { x: Int }'
    )
    assert [v.type for v in breaking_changes(in_use, build_schema("type Query { c: Int }"))] == [
        BreakingChangeType.TYPE_REMOVED,
        BreakingChangeType.FIELD_REMOVED,
    ]


def test_a_deliberate_break_of_the_real_schema_is_caught() -> None:
    """Take the real released 1.0 schema and remove a released field from the current one."""
    current = SCHEMA_PATH.read_text()
    assert "  myOrders(" in current
    broken = current.replace("  myOrders(", "  myOrdersRenamed(", 1)
    violations = check(broken)
    assert [str(v) for v in violations] == [
        "[1.0] FIELD_REMOVED: Field Query.myOrders was removed."
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("union R = A | B", "union R = A"),  # a member removed: clients' fragments break
        ("input I { a: Int }", "input I { a: Int b: Int! }"),  # a required input field
    ],
)
def test_other_breaking_changes_always_fail(old: str, new: str) -> None:
    base = "type Query { r: R i(x: I): Int } type A { a: Int } type B { b: Int }"
    released = build_schema(f"{base} union R = A | B input I {{ a: Int }}")
    current_sdl = f"{base} " + (
        f"{new} input I {{ a: Int }}" if old.startswith("union") else f"union R = A | B {new}"
    )
    assert breaking_changes(released, build_schema(current_sdl)) != []


CHANGELOG = ROOT / "CHANGELOG.md"


def changelog_section(text: str, version: str) -> dict[str, str]:
    """The `### ...` subsections of `## API <version>`, by title."""
    match = re.search(rf"^## API {re.escape(version)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, f"CHANGELOG.md has no '## API {version}' section"
    parts = re.split(r"^### (.+)$", match.group(1), flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def next_version() -> tuple[str, str]:
    latest = list(released_schemas())[-1]
    major, minor = latest.split(".")
    return latest, f"{major}.{int(minor) + 1}"


def test_the_changelog_names_every_addition_and_deprecation() -> None:
    latest, upcoming = next_version()
    released = build_schema(released_schemas()[latest].read_text())
    section = changelog_section(CHANGELOG.read_text(), upcoming)
    missing = []
    for change in unreleased_changes(released, build_schema(render())):
        kind, coordinate = change.split(" ", 1)
        where = section.get("Added" if kind == "added" else "Deprecated", "")
        if f"`{coordinate}`" not in where:
            missing.append(change)
    assert not missing, f"CHANGELOG.md '## API {upcoming}' does not name: {missing}"


def test_unreleased_changes_are_found() -> None:
    released = build_schema(RELEASED)
    current = build_schema(
        RELEASED.replace("viewer: User", "viewer: User\n  count(status: Role): Int")
        .replace("name: String!", 'name: String! @deprecated(reason: "x")')
        .replace("OLD", "NEW OLD")
        .replace("users(first: Int,", "users(last: Int, first: Int,")
        + "\ntype Extra { x: Int }"
    )
    assert sorted(unreleased_changes(released, current)) == [
        "added Extra",
        "added Query.count",
        "added Query.users(last:)",
        "added Role.NEW",
        "deprecated User.name",
    ]
