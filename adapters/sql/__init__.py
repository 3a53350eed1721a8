"""SQL adapters (SQLModel / SQLAlchemy async) for SQLite and PostgreSQL.

- tables: the SQLModel table classes (the Alembic target metadata)
- db: engine and session factories, the SQL statement counter used by N+1 tests
- repositories / unit_of_work: the write side (domain.ports); versioned: the optimistic save
  cases, refunds and macros share
- read_store: the read side (domain.queries.ReadStore), keyset-paginated (keyset), one statement
  per call
- mappers / rows: rows <-> domain objects (a column holds the attribute of its name)
- migrate: programmatic Alembic upgrade / drift check
"""
