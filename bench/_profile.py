"""Profile one GraphQL page in process (cProfile): where the server's CPU goes.

    python -m bench._profile [--page queue|messages] [--requests 50] [--sort tottime]

The same seeded data as bench.harness (throwaway PostgreSQL database, order simulator in a
thread), the app built by the composition root and called over ASGI (no sockets, no uvicorn);
prints the top functions. The findings are written up in docs/bench-list-cases.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time

import httpx

from adapters.order_system.simulator import create_order_simulator, simulator_state
from app.main import create_app
from bench._workloads import MESSAGES_PAGE, QUEUE_PAGE, bench_env, seed_data, settings_from
from bench.harness import PG_ADMIN_URL, REDIS_URL, simulator_thread
from tests.toolbox.services import throwaway_database


async def main_async(args: argparse.Namespace) -> None:
    simulator = create_order_simulator(orders=[])
    orders = simulator_state(simulator)
    query = QUEUE_PAGE if args.page == "queue" else MESSAGES_PAGE
    async with throwaway_database("benchprof", server_url=PG_ADMIN_URL) as database_url:
        with simulator_thread(simulator) as order_system_url:
            env = bench_env(database_url, order_system_url, REDIS_URL)
            settings = settings_from(env)
            await seed_data(settings, orders, 60)
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                    response = await client.post(
                        "/graphql",
                        json={
                            "query": 'mutation { login(input: {email: "agent@example.com", '
                            'password: "demo-password"}) { ... on AuthSession { accessToken } } }'
                        },
                    )
                    token = response.json()["data"]["login"]["accessToken"]
                    headers = {"Authorization": f"Bearer {token}"}
                    body = {"query": query, "variables": {"first": 50}}

                    async def one() -> None:
                        r = await client.post("/graphql", json=body, headers=headers)
                        assert r.status_code == 200 and "errors" not in r.json(), r.text[:300]

                    for _ in range(20):
                        await one()
                    started = time.process_time()
                    profiler = cProfile.Profile() if args.sort else None
                    if profiler:
                        profiler.enable()
                    for _ in range(args.requests):
                        await one()
                    if profiler:
                        profiler.disable()
                    cpu = (time.process_time() - started) * 1000 / args.requests
                    print(f"{args.page} page: {cpu:.1f} CPU-ms per request (client included)")
                    if profiler:
                        out = io.StringIO()
                        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(45)
                        print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--page", choices=["queue", "messages"], default="queue")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--sort", default="tottime", help="pstats sort key; '' for no profile")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
