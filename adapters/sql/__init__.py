"""SQL adapters (SQLModel / SQLAlchemy async) for SQLite and PostgreSQL.

- tables: the SQLModel table classes (the Alembic target metadata)
- db: engine and session factories, the SQL statement counter used by N+1 tests
- repositories / unit_of_work: the write side (domain.ports)
- read_store: the read side (domain.queries.ReadStore), keyset-paginated, one statement per call
- migrate: programmatic Alembic upgrade / drift check
"""
