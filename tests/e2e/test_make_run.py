"""The README's run path, as a user takes it: `python -m app.serve` (what `make run` runs) in a
subprocess with only PORT and DATA_DIR set (embedded mode: a SQLite file, the bundled simulators),
driven over real HTTP on 127.0.0.1. Then a restart on the same data folder: the seed is idempotent
and nothing accepted before is lost."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.serve_process import ServerProcess, serve
from tests.toolbox.graphql import (
    APPROVE_BY_ID,
    LOGIN,
    MY_ORDERS,
    OPEN_CASE_WITH_ORDER,
    POST_BY_ID,
    REQUEST_REFUND_SHOWN,
)

DEMO_EMAILS = {
    "alice@example.com",
    "bob@example.com",
    "agent@example.com",
    "sam@example.com",
    "admin@example.com",
}

QUEUE = """
{ supportCases(first: 50, filter: {status: [OPEN]}) {
    edges { node { id subject customer { name } refunds { id status } } } } }"""

CASE_VIEW = """
query($id: ID!) { supportCase(id: $id) {
  id subject status
  refunds { id status approval amount { amount } }
  messages(first: 20) { edges { node { body internal author { name } } } }
  timeline(first: 50) { edges { node { type summary message { body } } } }
}}"""

NOTE = "Photo looks genuine; customer has a clean history."
REPLY = "Sorry about the lamp! We are refunding 40.00."
# Once approved, a refund may already be on its way out (an in-process worker pays it).
APPROVED_OR_LATER = {"APPROVED", "PROCESSING", "SUCCEEDED"}


class Gql:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, (response.status_code, response.text)
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def login(self, email: str) -> str:
        result = self(LOGIN, {"e": email, "p": "demo-password"})["login"]
        assert result["__typename"] == "AuthSession", result
        token: str = result["accessToken"]
        return token


@contextlib.contextmanager
def run_path(data_dir: Path, log_path: Path) -> Iterator[ServerProcess]:
    """The README's run path: nothing set but where to listen and where the data lives."""
    with serve(log_path, DATA_DIR=str(data_dir)) as server:
        yield server


def check_banner(server: ServerProcess) -> None:
    output = server.output()
    assert f"GraphiQL:  http://127.0.0.1:{server.port}/graphql" in output, output
    # The web client: its URL when client/dist is built, else why it is not.
    assert (
        f"Web app:   http://127.0.0.1:{server.port}/" in output or "Web app:   not built" in output
    ), output
    assert "password: demo-password" in output, output
    for email in DEMO_EMAILS:
        assert email in output, (email, output)


def demo_users_in(data_dir: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(data_dir / "support.db")) as db:
        rows = db.execute("SELECT email, role FROM users ORDER BY email").fetchall()
    return [(str(email), str(role)) for email, role in rows]


def check_graphiql(http: httpx.Client) -> None:
    page = http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'id="graphiql"' in html and "GraphiQL" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    stylesheets = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html)
    assert scripts and stylesheets, html
    # Offline: nothing is fetched from anywhere but this server.
    external = [a for a in assets if re.match(r"^(https?:)?//", a)]
    assert external == [], external
    for asset in scripts + stylesheets:
        response = http.get(asset)
        assert response.status_code == 200, (asset, response.status_code)
        assert len(response.content) > 100, asset
        kind = "javascript" if asset.endswith(".js") else "css"
        assert kind in response.headers["content-type"], (asset, response.headers)


START_BROWSER_SESSION = """
mutation { startBrowserSession(input: {email: "alice@example.com", password: "demo-password"}) {
  __typename ... on BrowserSession { accessToken user { name } } ... on Error { message } } }"""


def check_web_root(http: httpx.Client) -> None:
    """/ is the web client, or (not built here) the page saying how to build it."""
    page = http.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert '<div id="root">' in page.text or "not built" in page.text, page.text


def check_browser_session(http: httpx.Client) -> None:
    """The cookie flow over real HTTP, the client keeping cookies like a browser."""
    started = http.post("/graphql", json={"query": START_BROWSER_SESSION})
    result = started.json()["data"]["startBrowserSession"]
    assert result["__typename"] == "BrowserSession", result
    assert "support_refresh" in http.cookies
    refreshed = http.post("/auth/refresh", headers={"X-Requested-With": "support-web"})
    assert refreshed.status_code == 200, refreshed.text
    token = refreshed.json()["accessToken"]
    assert refreshed.json()["user"]["name"] == "Alice Anders"
    ended = http.post("/auth/logout", headers={"X-Requested-With": "support-web"})
    assert ended.status_code == 204
    assert "support_refresh" not in http.cookies
    viewer = http.post(
        "/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert viewer.status_code == 401


def test_make_run_serves_the_demo_journey_and_restarts_idempotently(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with run_path(data_dir, tmp_path / "first.log") as server:
        check_banner(server)
        assert sorted(demo_users_in(data_dir)) == sorted(
            [
                ("admin@example.com", "ADMIN"),
                ("agent@example.com", "AGENT"),
                ("alice@example.com", "CUSTOMER"),
                ("bob@example.com", "CUSTOMER"),
                ("sam@example.com", "AGENT"),
            ]
        )
        with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
            assert http.get("/healthz").status_code == 200
            check_graphiql(http)
            check_web_root(http)
            with httpx.Client(base_url=server.base_url, timeout=10.0) as browser:
                check_browser_session(browser)
            gql = Gql(http)

            # Alice logs in, sees her orders, opens a case about the delivered 120.00 order.
            alice = gql.login("alice@example.com")
            orders = gql(MY_ORDERS, token=alice)
            assert orders["viewer"] == {"name": "Alice Anders", "role": "CUSTOMER"}
            nodes = [e["node"] for e in orders["myOrders"]["edges"]]
            assert len(nodes) == 5, nodes
            delivered = next(n for n in nodes if n["total"]["amount"] == 12000)
            assert delivered["status"] == "DELIVERED"
            assert delivered["total"]["formatted"] == "USD 120.00"
            opened = gql(
                OPEN_CASE_WITH_ORDER,
                {
                    "input": {
                        "subject": "Lamp arrived broken",
                        "description": "The lamp's glass was shattered in the box.",
                        "category": "REFUND_REQUEST",
                        "orderId": delivered["id"],
                    }
                },
                alice,
            )["openCase"]
            assert opened["__typename"] == "CaseOpened", opened
            case = opened["supportCase"]
            case_id = case["id"]
            assert case["status"] == "OPEN" and case["number"].startswith("CS-")
            assert case["order"] == {"id": delivered["id"], "total": {"formatted": "USD 120.00"}}

            # ... and asks for 40.00 back: above the automatic limit, so it waits for an agent.
            requested = gql(
                REQUEST_REFUND_SHOWN,
                {"input": {"caseId": case_id, "reason": "DAMAGED", "amount": 4000}},
                alice,
            )["requestRefund"]
            assert requested["__typename"] == "RefundRequested", requested
            refund = requested["refund"]
            assert refund["status"] == "REQUESTED" and refund["approval"] is None
            assert refund["amount"] == {"amount": 4000, "formatted": "USD 40.00"}
            refund_id = refund["id"]

            # The agent finds it in the queue, notes internally, replies, approves.
            agent = gql.login("agent@example.com")
            queue = {
                e["node"]["id"]: e["node"] for e in gql(QUEUE, token=agent)["supportCases"]["edges"]
            }
            assert case_id in queue, queue
            assert queue[case_id]["customer"] == {"name": "Alice Anders"}
            assert queue[case_id]["refunds"] == [{"id": refund_id, "status": "REQUESTED"}]
            note = gql(POST_BY_ID, {"case": case_id, "body": NOTE, "internal": True}, agent)
            assert note["postMessage"]["__typename"] == "MessagePosted", note
            assert note["postMessage"]["posted"]["internal"] is True
            reply = gql(POST_BY_ID, {"case": case_id, "body": REPLY, "internal": False}, agent)
            assert reply["postMessage"]["__typename"] == "MessagePosted", reply
            approved = gql(APPROVE_BY_ID, {"id": refund_id}, agent)["approveRefund"]
            assert approved["__typename"] == "RefundDecided", approved
            assert approved["refund"]["status"] == "APPROVED"
            assert approved["refund"]["approval"] == "AGENT"
            assert approved["refund"]["decidedBy"] == {"name": "Agnes Agent"}

            # Alice sees the approval and the reply, never the internal note.
            seen = gql(CASE_VIEW, {"id": case_id}, alice)["supportCase"]
            assert [(r["id"], r["approval"]) for r in seen["refunds"]] == [(refund_id, "AGENT")]
            assert seen["refunds"][0]["status"] in APPROVED_OR_LATER, seen["refunds"]
            messages = [e["node"] for e in seen["messages"]["edges"]]
            assert [(m["body"], m["internal"]) for m in messages] == [(REPLY, False)]
            assert messages[0]["author"] == {"name": "Agnes Agent"}
            timeline = [e["node"] for e in seen["timeline"]["edges"]]
            types = [t["type"] for t in timeline]
            assert types[:4] == [
                "CASE_OPENED",
                "REFUND_REQUESTED",
                "MESSAGE_POSTED",
                "REFUND_APPROVED",
            ], types
            assert "Photo looks genuine" not in str(seen)
            staff = gql(CASE_VIEW, {"id": case_id}, agent)["supportCase"]
            staff_messages = [e["node"] for e in staff["messages"]["edges"]]
            assert [(m["body"], m["internal"]) for m in staff_messages] == [
                (NOTE, True),
                (REPLY, False),
            ]

    # Same data folder, new process: migrations and seed run again and change nothing.
    with run_path(data_dir, tmp_path / "second.log") as server:
        check_banner(server)
        users = demo_users_in(data_dir)
        assert len(users) == 5 and {email for email, _ in users} == DEMO_EMAILS, users
        with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
            gql = Gql(http)
            alice = gql.login("alice@example.com")
            again = gql(CASE_VIEW, {"id": case_id}, alice)["supportCase"]
            assert again is not None
            assert again["subject"] == "Lamp arrived broken"
            assert [(r["id"], r["amount"]["amount"]) for r in again["refunds"]] == [
                (refund_id, 4000)
            ]
            assert again["refunds"][0]["status"] in APPROVED_OR_LATER
            assert [e["node"]["body"] for e in again["messages"]["edges"]] == [REPLY]
            agent = gql.login("agent@example.com")
            cases = gql("{ supportCases(first: 50) { edges { node { id } } } }", token=agent)
            queue_ids = [e["node"]["id"] for e in cases["supportCases"]["edges"]]
            assert case_id in queue_ids
            # Logins of all five accounts still work with the one demo password.
            for email in DEMO_EMAILS - {"alice@example.com", "agent@example.com"}:
                gql.login(email)
