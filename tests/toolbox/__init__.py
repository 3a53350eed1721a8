"""The toolbox of the test suites and the benches (bench/ imports it too): each helper lives here
once. Import from the module that holds it:

| module      | what                                                                          |
|-------------|-------------------------------------------------------------------------------|
| services    | POSTGRES_URL, REDIS_URL; `throwaway_database()` (create, migrate, drop),       |
|             | create/drop_postgres_database, drop_stale_databases; `redis_or_skip()`         |
| network     | `free_port()`; `serve(app)`: uvicorn in the test's loop; `silent_server()`     |
| processes   | `spawn_process(args, ready_url=...)`: a child process, ready within a deadline, |
|             | its output shown on failure, stopped at the end; `spawn_api_server(port)`;     |
|             | `service_environment(**settings)`: this environment minus service settings     |
| polling     | `poll_until(probe, until=..., deadline=...)`                                   |
| graphql     | `GraphQLClient`, the shared GraphQL documents; `gid` / `order_gid` /           |
|             | `internal_id`: global ids                                                      |
| ws          | the graphql-transport-ws client; `next_is` / `until`: sentinel checks          |

Markers: a test that needs PostgreSQL or Redis carries `postgres` / `redis` (tests/conftest.py).
"Nothing arrives" is proven with a later sentinel event, never by waiting for a timeout.
"""
