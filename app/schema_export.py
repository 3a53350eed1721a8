"""`make schema`: write the committed schema.graphql from the code (a test fails on drift)."""

from __future__ import annotations

import sys
from pathlib import Path

from app.graphql.schema import build_schema

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"


def render() -> str:
    return build_schema().as_str() + "\n"


def main() -> None:
    SCHEMA_PATH.write_text(render())
    print(f"wrote {SCHEMA_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
