"""Play the shop's operator: move an order of the order simulator to another status, which makes
the simulator send its signed webhook to the service (`make order-status`).

    python -m adapters.order_system.operator_cli ord-alice-3 DELIVERED
    python -m adapters.order_system.operator_cli ord-alice-3 DELIVERED --url http://127.0.0.1:9100

`--url` is the simulator's base URL: by default the simulator embedded in the running service,
`http://127.0.0.1:$PORT/_sim/orders` (PORT defaults to 8000).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

import httpx

STATUSES = ("SHIPPED", "DELIVERED", "CANCELLED")


def default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}/_sim/orders"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("order", help="the order id, e.g. ord-alice-3")
    parser.add_argument("status", type=str.upper, choices=STATUSES, help="the new status")
    parser.add_argument("--url", default=default_url(), help="the simulator's base URL")
    args = parser.parse_args(argv)
    url = f"{args.url.rstrip('/')}/_operator/orders/{args.order}/status"
    try:
        response = httpx.post(url, json={"status": args.status}, timeout=10)
    except httpx.HTTPError as exc:
        print(f"could not reach the order simulator at {url}: {exc}", file=sys.stderr)
        print("is the service running (make run)?", file=sys.stderr)
        return 1
    if response.status_code != 200:
        print(f"{response.status_code}: {response.text}", file=sys.stderr)
        return 1
    answer = response.json()
    order = answer["order"]
    print(f"order {order['id']} ({order['number']}) is now {order['status']}")
    if answer.get("webhook"):
        print(f"webhook {answer['webhook']['type']} sent as {answer['webhook']['id']}")
    else:
        print("no webhook target is configured for this simulator")
    if os.environ.get("VERBOSE"):
        print(json.dumps(order, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
