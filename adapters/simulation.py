"""What the stand-ins of the external systems share (adapters/order_system/simulator.py and
adapters/payment_gateway/simulator.py): typed access to the state their app factory keeps in
`app.state`, and the command line that serves one."""

from __future__ import annotations

import argparse
from typing import TypeVar

from starlette.applications import Starlette

S = TypeVar("S")


def state_of(app: Starlette, name: str, kind: type[S]) -> S:
    """`app.state.<name>`, the `kind` the simulator's factory put there."""
    state = getattr(app.state, name)
    assert isinstance(state, kind)
    return state


def command_line(description: str, *, port: int) -> argparse.ArgumentParser:
    """The options of every simulator (--host, --port); a simulator adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port)
    return parser


def serve(app: Starlette, args: argparse.Namespace) -> None:
    """Serve `app` on the --host and --port of `args` until interrupted."""
    import uvicorn  # only the command line needs the server

    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
