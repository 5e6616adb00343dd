"""Security headers on every response: a Content-Security-Policy, nosniff and a referrer policy.

One pure ASGI middleware adds them as the response starts, so it never buffers a body (the
Server-Sent Events stream flows through untouched). The policy is the same everywhere except
for the extra script sources a page really needs, each named at its path (/docs: one hash).

No page needs 'unsafe-eval': Plotly's 3D view (scatter3d and surface, drawn by gl-plot3d, not
regl) compiles no JavaScript, which tests/browser/test_security.py holds the explorer to.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.I)


def content_security_policy(frame_ancestors: str, extra_scripts: Sequence[str] = ()) -> str:
    """The policy: everything from this server, scripts from it only (plus `extra_scripts`)."""
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *extra_scripts]),
        # Plotly adds <style> elements as it loads (style-src-elem, every page) and the explorer's
        # plots set style="" attributes (style-src-attr); both are made at run time, so no hash
        # or nonce can name them and only 'unsafe-inline' allows them. Styles run no code;
        # scripts get no such allowance. Our own CSS is a file from 'self'.
        "style-src": "'self' 'unsafe-inline'",
        # data: for the contour map (its heatmap colouring is drawn as a data: image), Swagger UI's
        # CSS icons; blob: for Plotly.toImage's PNG (it rasterizes a blob: SVG).
        "img-src": "'self' data: blob:",
        "connect-src": "'self'",  # the API and the event stream, same origin only
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        # Who may embed the pages (an LMS): DESCENT_LAB_FRAME_ANCESTORS. No X-Frame-Options,
        # which could only allow one origin or none and would block embedding.
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def script_hashes(html: bytes) -> list[str]:
    """CSP hash sources ('sha256-...') of every inline <script> in a page, in order."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def security_headers(
    frame_ancestors: str, extra_scripts: Sequence[str] = ()
) -> list[tuple[str, str]]:
    return [
        ("Content-Security-Policy", content_security_policy(frame_ancestors, extra_scripts)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response.

    `extra_scripts` maps an exact path to the script sources its page needs beyond 'self'.
    """

    def __init__(
        self,
        app: ASGIApp,
        frame_ancestors: str,
        extra_scripts: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.app = app
        self.default = security_headers(frame_ancestors)
        self.by_path = {
            path: security_headers(frame_ancestors, list(sources))
            for path, sources in (extra_scripts or {}).items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.by_path.get(scope["path"], self.default)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in headers:
                    out[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
