"""CHECK constraints: their `column IN (...)` conditions, and changing one on both backends."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


def in_list(column: str, values: Sequence[str]) -> str:
    """`column IN ('A', 'B')`: the condition of an enum CHECK (and of deleting those rows)."""
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def replace_check(table: sa.Table, check_name: str) -> None:
    """Give the database's CHECK `check_name` on `table.name` the condition it has in `table`.

    PostgreSQL alters the constraint. SQLite cannot alter a CHECK: the table is copied (batch
    "move and copy") as `table` describes it, so `table` must be the whole table as it is at the
    calling revision. The copy keeps what dropping the old table would lose: the AUTOINCREMENT
    counter (no sequence number is handed out twice) and the table's triggers (other features
    may have put some there).
    """
    check = next(
        constraint
        for constraint in table.constraints
        if isinstance(constraint, sa.CheckConstraint) and constraint.name == check_name
    )
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(check_name), table.name, type_="check")
        op.create_check_constraint(op.f(check_name), table.name, check.sqltext)
        return
    counter = bind.execute(
        sa.text("SELECT seq FROM sqlite_sequence WHERE name = :table"), {"table": table.name}
    ).scalar()
    triggers = [
        str(sql)
        for (sql,) in bind.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = :table AND sql IS NOT NULL ORDER BY name"
            ),
            {"table": table.name},
        )
    ]
    with op.batch_alter_table(
        table.name,
        recreate="always",
        copy_from=table,
        table_kwargs=dict(table.dialect_kwargs),  # e.g. sqlite_autoincrement
    ):
        pass
    if counter is not None:
        bind.execute(
            sa.text("DELETE FROM sqlite_sequence WHERE name = :table"), {"table": table.name}
        )
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)"),
            {"table": table.name, "seq": counter},
        )
    for sql in triggers:
        bind.execute(sa.text(sql))
