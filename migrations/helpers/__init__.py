"""Code shared by the migrations in migrations/versions (imported as `migrations.helpers.*`:
alembic.ini's `prepend_sys_path` puts the project root on sys.path for every alembic run).

A migration must keep doing exactly what it did when it was released, so what is here describes
the past: change a helper only if every migration using it still emits the same statements.
"""
