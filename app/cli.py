"""The operator CLI: one command with a subcommand per job (typer), for people and deploy scripts.

    python -m app.cli --help
    python -m app.cli serve                  # embedded mode: migrate, seed, serve (make run)
    python -m app.cli worker                 # the refund worker and the case scheduler
    python -m app.cli migrate                # apply database migrations (DATABASE_URL)
    python -m app.cli order-status ord-alice-3 DELIVERED   # move a simulated order
    python -m app.cli schema export|check    # write schema.graphql / check it against releases
    python -m app.cli users create|role|deactivate|reactivate|reset-password|audit   # admin
    python -m app.cli ops queues             # refund jobs by state, the oldest pending

Each subcommand calls the module that already does the job, so `python -m app.serve` and friends
keep working and there is one implementation of each.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

import typer

from app.admin_cli import users_app
from app.ops_cli import ops_app

app = typer.Typer(
    help="Support & refunds service: serve it, run its worker, migrate, and operate it.",
    no_args_is_help=True,
    add_completion=False,
)
schema_app = typer.Typer(help="The GraphQL contract (schema.graphql).", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(users_app, name="users")
app.add_typer(ops_app, name="ops")


class OrderStatus(StrEnum):
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@app.command()
def serve() -> None:
    """Migrate, seed the demo data and serve API, GraphiQL and web client (embedded mode)."""
    from app.serve import main

    main()


@app.command()
def worker() -> None:
    """Run the refund worker and the case scheduler (production mode)."""
    from app.worker import main

    main()


@app.command()
def migrate() -> None:
    """Apply every database migration (DATABASE_URL; default: the SQLite file in data/)."""
    from adapters.sql.migrate import upgrade_to_head
    from app.settings import load_settings

    settings = load_settings()
    asyncio.run(upgrade_to_head(settings.effective_database_url))
    typer.echo("database is at the newest migration")


@app.command("order-status")
def order_status(
    order: str = typer.Argument(help="The order id, e.g. ord-alice-3."),
    status: OrderStatus = typer.Argument(help="The new status."),
    url: str | None = typer.Option(None, help="The order simulator's base URL."),
) -> None:
    """Move an order of the order simulator; it sends its signed webhook to the service."""
    from adapters.order_system.operator_cli import main

    raise typer.Exit(main([order, status.value, *(["--url", url] if url else [])]))


@schema_app.command("export")
def schema_export() -> None:
    """Write schema.graphql from the code (a test fails when it drifts)."""
    from app.schema_export import main

    main()


@schema_app.command("check")
def schema_check() -> None:
    """Fail on a breaking change against the released schemas (docs/schema/released-*.graphql)."""
    from app.schema_compat import main

    raise typer.Exit(main())


if __name__ == "__main__":
    app()
