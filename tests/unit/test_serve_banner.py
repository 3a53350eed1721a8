"""The `make run` banner says where the web client is, or why it is not there."""

from __future__ import annotations

from pathlib import Path

from app.serve import banner, web_client_lines
from app.settings import Settings


def settings_with(dist: Path) -> Settings:
    return Settings(host="127.0.0.1", port=8123, data_dir=dist.parent, client_dist_dir=dist)


def unbuilt_client(tmp_path: Path) -> Settings:
    client = tmp_path / "client"
    client.mkdir()
    (client / "package.json").write_text("{}")
    return settings_with(client / "dist")


def test_built_client_is_announced_next_to_graphiql(tmp_path: Path) -> None:
    dist = tmp_path / "client" / "dist"
    dist.mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html>")
    text = banner(settings_with(dist))
    assert "  Web app:   http://127.0.0.1:8123/\n" in text
    assert "GraphiQL:  http://127.0.0.1:8123/graphql" in text
    assert "alice@example.com" in text
    assert "not built" not in text


def test_unbuilt_client_is_said_in_the_banner(tmp_path: Path) -> None:
    text = banner(unbuilt_client(tmp_path))
    assert "Web app:   not built" in text
    assert "GraphiQL:  http://127.0.0.1:8123/graphql" in text


def test_without_node_the_banner_says_how_to_get_it(tmp_path: Path) -> None:
    settings = unbuilt_client(tmp_path)
    without = "\n".join(web_client_lines(settings, which=lambda name: None))
    assert "Node.js 20 and npm are needed" in without and "nodejs.org" in without
    with_node = "\n".join(web_client_lines(settings, which=lambda name: f"/usr/bin/{name}"))
    assert "run `make client`" in with_node and "Node.js 20" not in with_node


def test_no_client_source_at_all(tmp_path: Path) -> None:
    text = "\n".join(web_client_lines(settings_with(tmp_path / "client" / "dist")))
    assert "not built" in text and "has no web client" in text
