"""Security headers on every HTTP response (pure ASGI), each added only when the response has
not set its own (the web client and GraphiQL send their own Content-Security-Policy):

- Content-Security-Policy `default-src 'none'; frame-ancestors 'none'` (API answers are data,
  never a page); X-Content-Type-Options, Referrer-Policy and X-Frame-Options (set by
  app.http.middleware.RequestContextMiddleware);
- Cross-Origin-Opener-Policy and Cross-Origin-Resource-Policy `same-origin`;
- Permissions-Policy denying the powerful browser features nothing here uses;
- Cache-Control `no-store` on JSON answers (they carry tokens and personal data);
- Strict-Transport-Security when `hsts` (production behind TLS).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CONTENT_SECURITY_POLICY = b"default-src 'none'; frame-ancestors 'none'"
HSTS = b"max-age=31536000; includeSubDomains"
PERMISSIONS_POLICY = b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")

                def add(name: bytes, value: bytes) -> None:
                    if name not in present:
                        headers.append((name, value))

                add(b"content-security-policy", API_CONTENT_SECURITY_POLICY)
                add(b"cross-origin-opener-policy", b"same-origin")
                add(b"cross-origin-resource-policy", b"same-origin")
                add(b"permissions-policy", PERMISSIONS_POLICY)
                if content_type.startswith(b"application/json"):
                    add(b"cache-control", b"no-store")
                if self.hsts:
                    add(b"strict-transport-security", HSTS)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
