"""Headers every response carries, whatever route or error produced it.

- `X-Content-Type-Options: nosniff`: a browser takes JSON and CSV for what they
  say they are, never for a page or a script;
- `Content-Security-Policy: frame-ancestors 'none'`: no other site frames ours
  (added to a response's own policy when it has one, e.g. the page's);
- `Referrer-Policy: no-referrer`: links out of the page do not tell where from.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

FRAME_ANCESTORS = b"frame-ancestors 'none'"
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with the security headers added, a response's own policy kept."""
    policy = None
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"content-security-policy":
            policy = index
            if b"frame-ancestors" not in value:
                headers[index] = (name, value.rstrip(b"; ") + b"; " + FRAME_ANCESTORS)
    if policy is None:
        headers.append((b"content-security-policy", FRAME_ANCESTORS))
    headers.extend(SECURITY_HEADERS)
    return headers


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers to each response's start message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)
