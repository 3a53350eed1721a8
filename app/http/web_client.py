"""The built web client (client/dist, made by `make client`) served at `/` by this same app,
so the browser talks to /graphql and /auth on its own origin (no CORS).

- `/assets/*`: Vite's content-hashed bundles, cached for a year (`immutable`); a missing one
  is a 404, never the page.
- other files at the top of the dist folder (favicon, robots.txt...): served, `no-cache`.
- any other GET/HEAD that accepts text/html (a client-side route such as /cases/42): index.html,
  `no-cache`, so a new build is picked up at the next load.
- the paths of the API and the operators' tools are never answered with the page.

Every answer carries the strict Content-Security-Policy below (no inline scripts or styles,
connections to this origin only). When the dist folder is missing, the page explains how to
build the client and links to GraphiQL; the API works either way.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final[str] = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
# Paths that belong to the API or to operators: never the web client's page.
RESERVED_PREFIXES: Final[tuple[str, ...]] = (
    "/graphql",
    "/auth",
    "/webhooks",
    "/healthz",
    "/readyz",
    "/_sim",
    "/_operator",
    "/metrics",
    "/static",
)
IMMUTABLE: Final[str] = "public, max-age=31536000, immutable"
NO_CACHE: Final[str] = "no-cache"

_NOT_BUILT = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Support &amp; Refunds: web client not built</title>
    <link rel="icon" href="data:,">
  </head>
  <body>
    <main>
      <h1>The web client is not built</h1>
      <p>The API is running, but there is no web client bundle in
        <code>{dist}</code>.</p>
      <p>Build it with <code>make client</code> (or start with <code>make run</code>, which
        builds it first). It needs Node.js 20 and npm: see
        <a href="https://nodejs.org/en/download">nodejs.org</a>, or on Debian/Ubuntu
        <code>apt-get install nodejs npm</code>.</p>
      <p>Meanwhile the API can be explored in <a href="/graphql">GraphiQL at /graphql</a>.</p>
    </main>
  </body>
</html>
"""


def client_built(dist_dir: Path) -> bool:
    return (dist_dir / "index.html").is_file()


def is_reserved(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in RESERVED_PREFIXES)


def _accepts_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "application/xhtml+xml" in accept


class WebClient:
    """The ASGI endpoint of every path no other route took (see the module docstring)."""

    def __init__(self, dist_dir: Path) -> None:
        self.dist_dir = dist_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.handle(Request(scope, receive))
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        await response(scope, receive, send)

    def handle(self, request: Request) -> Response:
        path = request.url.path
        if request.method not in ("GET", "HEAD") or is_reserved(path):
            return _not_found()
        dist = self.dist_dir.resolve()
        index = dist / "index.html"
        if not client_built(dist):
            if path.startswith("/assets/") or not _accepts_html(request):
                return _not_found()
            return HTMLResponse(
                _NOT_BUILT.format(dist=html.escape(str(self.dist_dir))),
                headers={"Cache-Control": NO_CACHE},
            )
        file = _file_under(dist, path)
        if path.startswith("/assets/"):
            if file is None:
                return _not_found()
            return FileResponse(file, headers={"Cache-Control": IMMUTABLE})
        if file is not None and file.name != "index.html":
            return FileResponse(file, headers={"Cache-Control": NO_CACHE})
        if file is None and not _accepts_html(request):
            return _not_found()
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": NO_CACHE})


def _file_under(root: Path, url_path: str) -> Path | None:
    """The regular file `url_path` names inside `root`, or None (never anything outside it)."""
    relative = url_path.lstrip("/")
    if not relative or "\x00" in relative:
        return None
    try:
        candidate = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _not_found() -> Response:
    return JSONResponse({"error": {"code": "NOT_FOUND", "message": "Not found"}}, status_code=404)
