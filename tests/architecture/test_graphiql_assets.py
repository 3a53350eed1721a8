"""GraphiQL must work offline (API.md): the page loads only vendored, local assets."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.graphiql import ASSETS, STATIC_DIR, graphiql_html

PREFIX = "/static/graphiql"
# The smallest vendored file, react.production.min.js, is about 10 kB; anything tiny is a stub or an
# LFS pointer. Our own boot script is smaller, but still well above this.
MIN_BYTES = 1_000


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str | None] = []  # None: an inline script
        self.stylesheets: list[str] = []
        self.other_urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes.get("src"))
        elif tag == "link" and "stylesheet" in (attributes.get("rel") or "").split():
            self.stylesheets.append(attributes.get("href") or "")
        else:
            self.other_urls.extend(v for k, v in attrs if k in ("src", "href") and v)


def _references(page: str) -> _References:
    parser = _References()
    parser.feed(page)
    parser.close()
    return parser


def _local_file(url: str, prefix: str = PREFIX) -> Path:
    assert url.startswith(prefix + "/"), f"{url} is not under {prefix}/"
    name = url.removeprefix(prefix + "/").split("?", 1)[0].split("#", 1)[0]
    assert "/" not in name and name not in ("", ".", ".."), url
    return STATIC_DIR / name


def test_page_loads_scripts_and_styles_only_from_the_local_prefix() -> None:
    refs = _references(graphiql_html())
    assert refs.scripts and refs.stylesheets
    assert None not in refs.scripts, "keep scripts in files (CSP script-src 'self')"
    for url in [*refs.scripts, *refs.stylesheets]:
        assert url is not None
        assert not re.match(r"^(https?:)?//", url, re.IGNORECASE), f"remote asset: {url}"
        assert url.startswith(PREFIX + "/"), url
    for url in refs.other_urls:  # e.g. the favicon: a data: URL, never the network
        assert not re.match(r"^(https?:)?//", url, re.IGNORECASE), f"remote URL: {url}"


def test_page_has_no_remote_url_anywhere() -> None:
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", graphiql_html(), re.IGNORECASE)


def test_every_referenced_asset_is_vendored_and_non_trivial() -> None:
    refs = _references(graphiql_html())
    referenced = [_local_file(url) for url in [*refs.stylesheets, *refs.scripts] if url]
    assert {path.name for path in referenced} == set(ASSETS)
    for path in referenced:
        assert path.is_file(), f"missing vendored asset {path}"
        size = path.stat().st_size
        assert size >= MIN_BYTES, f"{path.name} is only {size} bytes"
        head = path.read_bytes()[:200]
        assert not head.startswith(b"version https://git-lfs"), f"{path.name} is an LFS pointer"


def test_react_and_graphiql_load_in_dependency_order() -> None:
    names = [_local_file(url).name for url in _references(graphiql_html()).scripts if url]
    order = ["react.production.min.js", "react-dom.production.min.js", "graphiql.min.js"]
    positions = [names.index(name) for name in order]
    assert positions == sorted(positions), names
    assert names.index("graphiql-boot.js") > positions[-1], names


def test_vendored_builds_are_the_expected_packages() -> None:
    graphiql = (STATIC_DIR / "graphiql.min.js").read_text(encoding="utf-8", errors="replace")
    assert ".GraphiQL=" in graphiql[:2000], "not the GraphiQL UMD build"
    react = (STATIC_DIR / "react.production.min.js").read_text(encoding="utf-8")
    assert "react.production.min.js" in react[:500] and '"18.' in react
    react_dom = (STATIC_DIR / "react-dom.production.min.js").read_text(encoding="utf-8")
    assert "react-dom.production.min.js" in react_dom[:500] and "18." in react_dom[-300:]


def test_boot_script_wires_the_fetcher_and_the_headers_editor() -> None:
    boot = (STATIC_DIR / "graphiql-boot.js").read_text(encoding="utf-8")
    assert "GraphiQL.createFetcher" in boot
    assert "data-endpoint" in boot
    assert "isHeadersEditorEnabled: true" in boot
    assert "shouldPersistHeaders: true" in boot
    assert "mutation Login" in boot and "Bearer <accessToken>" in boot
    assert not re.search(r"https?://", boot), "the boot script must not reach the network"


@pytest.mark.parametrize(
    ("endpoint", "prefix"),
    [("/api/graphql", "/assets/gql/"), ('/graphql?x="><script>', "/static/graphiql")],
)
def test_endpoint_and_prefix_are_configurable_and_escaped(endpoint: str, prefix: str) -> None:
    page = graphiql_html(endpoint=endpoint, static_prefix=prefix)
    refs = _references(page)
    clean_prefix = prefix.rstrip("/")
    assert all(url and url.startswith(clean_prefix + "/") for url in refs.scripts)
    assert "<script>" not in page.replace("<script src=", "")
    assert 'data-endpoint="' in page
    parser = _EndpointReader()
    parser.feed(page)
    assert parser.endpoint == endpoint


class _EndpointReader(HTMLParser):
    endpoint: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and dict(attrs).get("id") == "graphiql":
            self.endpoint = dict(attrs).get("data-endpoint")
