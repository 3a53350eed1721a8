"""The schema compatibility rule: a released part of the API is removed or retyped only after it
was deprecated in a released schema.

Every released schema is committed as `docs/schema/released-<version>.graphql` (a copy of
`schema.graphql` at release). `breaking_changes(released, current)` runs graphql-core's
`find_breaking_changes` and keeps the changes that break the rule:

- a field, input field, argument or enum value removed or retyped is allowed only when it carried
  `@deprecated` in the released schema;
- a type removed is allowed only when every released field, argument, input field and union that
  referred to it was itself deprecated (a union member cannot be deprecated: removing one breaks);
- anything else `find_breaking_changes` reports (a required argument or input field added, a union
  member or interface removed, a type changing kind, ...) always breaks;
- a standard scalar that nothing refers to any more may go (no argument could take it).

`python -m app.schema_compat` checks the committed `schema.graphql` against every released schema
(exit 1 with the list when something breaks); tests/architecture/test_schema_compatibility.py runs
the same check on the schema built from the code.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    BreakingChange,
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    build_schema,
    find_breaking_changes,
    get_named_type,
)

ROOT = Path(__file__).resolve().parent.parent
RELEASED_DIR = ROOT / "docs" / "schema"
_RELEASED = re.compile(r"^released-(\d+)\.(\d+)\.graphql$")

# find_breaking_changes' descriptions (graphql-core 3.x) name what changed; parsed into coordinates.
_FIELD = re.compile(r"^Field (\w+)\.(\w+) (?:was removed|changed type)")
_ARG = re.compile(r"^Argument (\w+)\.(\w+)\((\w+):\) (?:was removed|has changed type)")
_ENUM_VALUE = re.compile(r"^Enum value (\w+)\.(\w+) was removed\.$")
_TYPE = re.compile(r"^(?:Standard scalar )?(\w+) was removed")


@dataclass(frozen=True, slots=True)
class Violation:
    released: str  # which released schema it breaks, e.g. "1.0"
    type: BreakingChangeType
    description: str

    def __str__(self) -> str:
        return f"[{self.released}] {self.type.name}: {self.description}"


def released_schemas(directory: Path = RELEASED_DIR) -> dict[str, Path]:
    """Released schema files by version, oldest first."""
    found: list[tuple[tuple[int, int], str, Path]] = []
    for path in directory.glob("released-*.graphql"):
        match = _RELEASED.match(path.name)
        if match:
            major, minor = int(match.group(1)), int(match.group(2))
            found.append(((major, minor), f"{major}.{minor}", path))
    return {version: path for _, version, path in sorted(found)}


def _deprecated_field(schema: GraphQLSchema, type_name: str, field_name: str) -> bool:
    gtype = schema.get_type(type_name)
    if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
        field = gtype.fields.get(field_name)
        return field is not None and bool(field.deprecation_reason)
    return False


def _deprecated_arg(schema: GraphQLSchema, type_name: str, field_name: str, arg: str) -> bool:
    gtype = schema.get_type(type_name)
    if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)):
        field = gtype.fields.get(field_name)
        if field is None:
            return False
        argument = field.args.get(arg)
        return bool(field.deprecation_reason) or (
            argument is not None and bool(argument.deprecation_reason)
        )
    return False


def _deprecated_enum_value(schema: GraphQLSchema, enum_name: str, value: str) -> bool:
    gtype = schema.get_type(enum_name)
    if isinstance(gtype, GraphQLEnumType):
        enum_value = gtype.values.get(value)
        return enum_value is not None and bool(enum_value.deprecation_reason)
    return False


def _only_deprecated_references(schema: GraphQLSchema, type_name: str) -> bool:
    """Every use of the type in the schema is deprecated (so no released client needs it)."""

    def refers(gtype: GraphQLType) -> bool:
        named: GraphQLNamedType = get_named_type(gtype)
        return named.name == type_name

    for gtype in schema.type_map.values():
        if gtype.name.startswith("__"):
            continue
        if isinstance(gtype, GraphQLUnionType) and any(t.name == type_name for t in gtype.types):
            return False
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)):
            if any(i.name == type_name for i in gtype.interfaces):
                return False
            for field in gtype.fields.values():
                if refers(field.type) and not field.deprecation_reason:
                    return False
                for arg in field.args.values():
                    if refers(arg.type) and not (
                        field.deprecation_reason or arg.deprecation_reason
                    ):
                        return False
        if isinstance(gtype, GraphQLInputObjectType):
            for input_field in gtype.fields.values():
                if refers(input_field.type) and not input_field.deprecation_reason:
                    return False
    return True


def _was_deprecated(released: GraphQLSchema, change: BreakingChange) -> bool:
    kind, text = change.type, change.description
    if kind in (BreakingChangeType.FIELD_REMOVED, BreakingChangeType.FIELD_CHANGED_KIND):
        match = _FIELD.match(text)
        return match is not None and _deprecated_field(released, match.group(1), match.group(2))
    if kind in (BreakingChangeType.ARG_REMOVED, BreakingChangeType.ARG_CHANGED_KIND):
        match = _ARG.match(text)
        return match is not None and _deprecated_arg(released, *match.groups())
    if kind is BreakingChangeType.VALUE_REMOVED_FROM_ENUM:
        match = _ENUM_VALUE.match(text)
        return match is not None and _deprecated_enum_value(released, *match.groups())
    if kind is BreakingChangeType.TYPE_REMOVED:
        if text.startswith("Standard scalar "):
            return True  # unreferenced now: no argument or input can take it anyway
        match = _TYPE.match(text)
        return match is not None and _only_deprecated_references(released, match.group(1))
    return False


def breaking_changes(
    released: GraphQLSchema, current: GraphQLSchema, *, version: str = "released"
) -> list[Violation]:
    """The changes from `released` to `current` that break released clients without warning."""
    return [
        Violation(version, change.type, change.description)
        for change in find_breaking_changes(released, current)
        if not _was_deprecated(released, change)
    ]


def unreleased_changes(released: GraphQLSchema, current: GraphQLSchema) -> list[str]:
    """What `current` adds to or newly deprecates in `released`, as schema coordinates: `Type`,
    `Type.field`, `Type.field(arg:)`, `Input.field`, `Enum.VALUE`, `Union.Member`; each prefixed
    with "added " or "deprecated ". CHANGELOG.md must name every one of them."""
    found: list[str] = []
    for name, gtype in current.type_map.items():
        if name.startswith("__"):
            continue
        old = released.type_map.get(name)
        if old is None:
            found.append(f"added {name}")
            continue
        if isinstance(gtype, (GraphQLObjectType, GraphQLInterfaceType)) and isinstance(
            old, (GraphQLObjectType, GraphQLInterfaceType)
        ):
            for field_name, field in gtype.fields.items():
                old_field = old.fields.get(field_name)
                coordinate = f"{name}.{field_name}"
                if old_field is None:
                    found.append(f"added {coordinate}")
                    continue
                if field.deprecation_reason and not old_field.deprecation_reason:
                    found.append(f"deprecated {coordinate}")
                for arg_name, arg in field.args.items():
                    old_arg = old_field.args.get(arg_name)
                    if old_arg is None:
                        found.append(f"added {coordinate}({arg_name}:)")
                    elif arg.deprecation_reason and not old_arg.deprecation_reason:
                        found.append(f"deprecated {coordinate}({arg_name}:)")
        if isinstance(gtype, GraphQLInputObjectType) and isinstance(old, GraphQLInputObjectType):
            for field_name, input_field in gtype.fields.items():
                old_input = old.fields.get(field_name)
                if old_input is None:
                    found.append(f"added {name}.{field_name}")
                elif input_field.deprecation_reason and not old_input.deprecation_reason:
                    found.append(f"deprecated {name}.{field_name}")
        if isinstance(gtype, GraphQLEnumType) and isinstance(old, GraphQLEnumType):
            for value_name, value in gtype.values.items():
                old_value = old.values.get(value_name)
                if old_value is None:
                    found.append(f"added {name}.{value_name}")
                elif value.deprecation_reason and not old_value.deprecation_reason:
                    found.append(f"deprecated {name}.{value_name}")
        if isinstance(gtype, GraphQLUnionType) and isinstance(old, GraphQLUnionType):
            before = {member.name for member in old.types}
            for member in gtype.types:
                if member.name not in before:
                    found.append(f"added {name}.{member.name}")
    return found


def check(current_sdl: str, directory: Path = RELEASED_DIR) -> list[Violation]:
    """Check a schema (SDL) against every released schema in `directory`."""
    current = build_schema(current_sdl)
    violations: list[Violation] = []
    for version, path in released_schemas(directory).items():
        violations += breaking_changes(build_schema(path.read_text()), current, version=version)
    return violations


def main() -> int:
    current = ROOT / "schema.graphql"
    violations = check(current.read_text())
    for violation in violations:
        print(violation, file=sys.stderr)
    if violations:
        print(
            f"{current.name} breaks {len(violations)} released part(s) of the API: add the new "
            "thing beside the old one and deprecate the old one instead",
            file=sys.stderr,
        )
        return 1
    print(f"{current.name} is compatible with {', '.join(released_schemas())}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
