"""The built web client served at / by the same app (a temporary dist folder), its security
headers, the SPA fallback, and the page shown when the client is not built; GraphiQL keeps its
own page and policy at /graphql."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.sql.migrate import upgrade_to_head
from app.settings import Settings
from tests.api.conftest import running_api

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
INDEX = (
    '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script>'
    '<link rel="stylesheet" href="/assets/index-def456.css"></head>'
    '<body><div id="root"></div></body></html>'
)
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
RESERVED = (
    "/graphql/x",
    "/auth",
    "/auth/somewhere",
    "/webhooks/order-system/x",
    "/healthz/x",
    "/readyz/x",
    "/_sim",
    "/_sim/unknown",
    "/_operator",
    "/_operator/x",
    "/metrics",
    "/static/graphiql/missing.js",
)


def make_dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log('client');\n")
    (dist / "assets" / "index-def456.css").write_text("body { margin: 0 }\n")
    (dist / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (root / "secret.txt").write_text("TOP-SECRET")
    return dist


async def _client(tmp_path: Path, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    await upgrade_to_head(url)
    settings = Settings(
        app_env="test",
        database_url=url,
        data_dir=tmp_path,
        client_dist_dir=dist,
        run_sla_scheduler=False,
        run_embedded_worker=False,
    )
    async with running_api(settings, seed_demo=False) as web:
        yield web.http


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(tmp_path, make_dist(tmp_path)):
        yield http


@pytest.fixture
async def unbuilt(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(tmp_path, tmp_path / "no-such-dist"):
        yield http


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_root_serves_index_html_with_a_strict_policy(web: httpx.AsyncClient) -> None:
    response = await web.get("/", headers=HTML)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)
    head = await web.head("/", headers=HTML)
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize("path", ["/cases/42", "/agent/queue", "/portal/orders/ord-1/refund"])
async def test_client_side_routes_fall_back_to_index_html(
    web: httpx.AsyncClient, path: str
) -> None:
    response = await web.get(path, headers=HTML)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)


async def test_assets_are_cached_for_good(web: httpx.AsyncClient) -> None:
    script = await web.get("/assets/index-abc123.js")
    assert script.status_code == 200
    assert script.text == "console.log('client');\n"
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    style = await web.get("/assets/index-def456.css", headers={"Accept": "text/css,*/*"})
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert style.headers["x-content-type-options"] == "nosniff"


async def test_a_missing_asset_is_404_not_the_page(web: httpx.AsyncClient) -> None:
    response = await web.get("/assets/index-old999.js", headers=HTML)
    assert response.status_code == 404
    assert INDEX not in response.text
    assert "immutable" not in response.headers.get("cache-control", "")


async def test_top_level_files_are_served(web: httpx.AsyncClient) -> None:
    response = await web.get("/favicon.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["cache-control"] == "no-cache"


async def test_non_html_requests_for_unknown_paths_are_404(web: httpx.AsyncClient) -> None:
    response = await web.get("/cases/42", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    for method in ("POST", "PUT", "DELETE"):
        other = await web.request(method, "/", headers=HTML)
        assert other.status_code == 404, method
        assert INDEX not in other.text


@pytest.mark.parametrize("path", RESERVED)
async def test_api_paths_never_get_the_page(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path, headers=HTML)
    if path == "/metrics" and response.status_code == 200:  # METRICS_ENABLED (the default)
        assert response.headers["content-type"].startswith("text/plain"), response.headers
    else:
        assert response.status_code in (404, 405), (path, response.status_code)
    assert INDEX not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
    ],
)
async def test_nothing_outside_the_dist_folder_is_served(web: httpx.AsyncClient, path: str) -> None:
    response = await web.get(path, headers=HTML)
    assert "TOP-SECRET" not in response.text, path


async def test_the_api_still_answers_beside_the_client(web: httpx.AsyncClient) -> None:
    response = await web.post("/graphql", json={"query": "{ viewer { id } }"})
    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": None}
    assert (await web.get("/healthz")).text == "ok"


async def test_graphiql_keeps_its_page_and_its_own_policy(web: httpx.AsyncClient) -> None:
    page = await web.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert "GraphiQL" in page.text and INDEX not in page.text
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'", "GraphiQL runs from vendored files only"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-eval'" not in policy
    # Every script and stylesheet of the page is local and served.
    urls = re.findall(r'(?:src|href)="(/static/graphiql/[^"]+)"', page.text)
    assert len(urls) >= 4
    for url in urls:
        asset = await web.get(url)
        assert asset.status_code == 200, url


async def test_unbuilt_client_gets_a_page_saying_how_to_build_it(
    unbuilt: httpx.AsyncClient,
) -> None:
    response = await unbuilt.get("/", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert "not built" in text
    assert "make client" in text and "Node" in text
    assert 'href="/graphql"' in text
    assert "<script" not in text and "<style" not in text
    assert_security_headers(response)
    deep = await unbuilt.get("/cases/42", headers=HTML)
    assert deep.status_code == 200 and "not built" in deep.text
    assert (await unbuilt.get("/assets/index-abc123.js")).status_code == 404
    # The API works without the client.
    api = await unbuilt.post("/graphql", json={"query": "{ viewer { id } }"})
    assert api.json()["data"] == {"viewer": None}
