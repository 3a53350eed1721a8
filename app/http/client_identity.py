"""Who is calling, behind proxies: the client IP (for rate limits and logs) and the request id.

- The client IP is the direct peer unless that peer is a trusted proxy (TRUSTED_PROXIES, CIDRs):
  then `X-Forwarded-For` is walked from right to left (each proxy appends the address it got the
  request from), skipping trusted hops, and the first untrusted (or unparsable-before-it, or the
  leftmost) address is the client. A header sent by an untrusted peer is ignored entirely, so a
  client cannot choose its own address (and its anonymous rate-limit bucket).
- An incoming `X-Request-ID` is kept when it is a sane token (8-128 characters of letters,
  digits and `._:=@+/-`), so that one id follows a request through the load balancer's logs
  and ours; anything else gets a new id.

`ClientIdentityMiddleware` rewrites `scope["client"]` (as uvicorn's proxy-headers middleware
does: every `request.client.host` downstream sees the client), keeps the direct peer in
`scope["state"]["peer"]`, for HTTP and WebSocket alike.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=@+/-]{8,128}")


def parse_trusted_proxies(text: str | None) -> tuple[Network, ...]:
    """Comma-separated CIDRs or addresses; ValueError names an entry that is neither."""
    networks: list[Network] = []
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR: {entry!r}") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in trusted)


def client_address(peer: str, forwarded_for: Iterable[str], trusted: Sequence[Network]) -> str:
    """The client's address: `peer` unless it is trusted, then from X-Forwarded-For (all the
    header's values in order), right to left up to the first untrusted hop."""
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    client = peer
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:
            break  # garbage in the chain: stop at the last address we could trust to be real
        client = str(parsed)
        if not any(parsed in network for network in trusted):
            break
    return client


def request_id_from(value: str | None) -> str | None:
    """The incoming X-Request-ID when it is a sane token, else None (make a new one)."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value
    return None


class ClientIdentityMiddleware:
    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[Network] = ()) -> None:
        self.app = app
        self.trusted = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            peer_host, peer_port = scope.get("client") or ("unknown", 0)
            state = scope.setdefault("state", {})
            state["peer"] = peer_host
            if self.trusted:
                forwarded = [
                    value.decode("latin-1")
                    for name, value in scope.get("headers", [])
                    if name == b"x-forwarded-for"
                ]
                client = client_address(peer_host, forwarded, self.trusted)
                if client != peer_host:
                    scope["client"] = (client, peer_port)
        await self.app(scope, receive, send)
