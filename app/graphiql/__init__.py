"""GraphiQL served from local, vendored assets, so it works offline (no CDN).

Strawberry's own GraphiQL page loads React and GraphiQL from unpkg and stays on "Loading..." without
network access. This module renders a page that loads only the files in ``STATIC_DIR`` (see
``VENDORED.md`` for their versions and how to refresh them).

Wiring (in the composition root):

- serve ``STATIC_DIR`` at ``static_prefix``:
  ``Mount("/static/graphiql", app=StaticFiles(directory=STATIC_DIR), name="graphiql-static")``
- answer ``GET /graphql`` with ``Accept: text/html`` with :func:`graphiql_html`, e.g. in a subclass
  of ``strawberry.asgi.GraphQL``: ``async def render_graphql_ide(self, request): return
  HTMLResponse(graphiql_html())``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Final

__all__ = ["ASSETS", "STATIC_DIR", "graphiql_html"]

STATIC_DIR: Final[Path] = Path(__file__).resolve().parent / "static"

# Loaded in this order: React and ReactDOM define the globals the GraphiQL UMD build needs,
# graphiql-boot.js (ours) renders GraphiQL into #graphiql.
STYLESHEETS: Final[tuple[str, ...]] = ("graphiql.min.css",)
SCRIPTS: Final[tuple[str, ...]] = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql-boot.js",
)
ASSETS: Final[tuple[str, ...]] = STYLESHEETS + SCRIPTS

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>Support &amp; Refunds API: GraphiQL</title>
    <link rel="icon" href="data:,">
{stylesheets}
    <style>
      html, body {{ height: 100%; margin: 0; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
  </head>
  <body>
    <div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL&hellip;</div>
    <noscript>GraphiQL needs JavaScript. POST GraphQL as JSON to {endpoint}.</noscript>
{scripts}
  </body>
</html>
"""


def _asset_url(static_prefix: str, name: str) -> str:
    return html.escape(f"{static_prefix.rstrip('/')}/{name}", quote=True)


def graphiql_html(endpoint: str = "/graphql", static_prefix: str = "/static/graphiql") -> str:
    """A complete GraphiQL page for ``endpoint`` that loads only assets under ``static_prefix``.

    ``static_prefix`` is where ``STATIC_DIR`` is served; both arguments are paths (or URLs) as the
    browser should use them. The page's fetcher POSTs JSON to ``endpoint``, sends the headers typed
    in GraphiQL's Headers tab (persisted in the browser), and uses the graphql-transport-ws protocol
    on the same URL for subscriptions.
    """
    stylesheets = "\n".join(
        f'    <link rel="stylesheet" href="{_asset_url(static_prefix, name)}">'
        for name in STYLESHEETS
    )
    scripts = "\n".join(
        f'    <script src="{_asset_url(static_prefix, name)}"></script>' for name in SCRIPTS
    )
    return _PAGE.format(
        stylesheets=stylesheets,
        scripts=scripts,
        endpoint=html.escape(endpoint, quote=True),
    )
