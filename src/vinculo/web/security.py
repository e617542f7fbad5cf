"""Security for pages: response headers, and CSRF tokens for every state-changing form post."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vinculo.errors import CsrfFailed
from vinculo.settings import get_settings

SESSION_COOKIE = "vinculo_session"
CSRF_COOKIE = "vinculo_csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        (
            b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            b"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
            b"object-src 'none'; frame-ancestors 'none'"
        ),
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


# Browsers remember for a year to come back only over https, on every subdomain too.
STRICT_TRANSPORT_SECURITY = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")
STATIC_PREFIX = "/static/"


class SecurityHeaders:
    """Adds the security headers to every response, pages and API alike; in production the
    transport security one as well (production is served over https)."""

    def __init__(self, app: ASGIApp, *, production: bool = False) -> None:
        self.app = app
        self.always = [*SECURITY_HEADERS, *([STRICT_TRANSPORT_SECURITY] if production else [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [*self.always, *([NO_STORE] if _may_be_private(scope) else [])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    *((name, value) for name, value in added if name not in present),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _may_be_private(scope: Scope) -> bool:
    """Whether the answer may carry someone's private data, so that no cache (a shared one, or
    the browser's on a shared computer) keeps it: every API answer, and every answer to a
    signed-in request; never the static files, which are the same for everybody."""
    path: str = scope["path"]
    if path.startswith(STATIC_PREFIX):
        return False
    if path.startswith("/api/"):
        return True
    for name, value in scope["headers"]:
        if name == b"authorization" or (
            name == b"cookie" and SESSION_COOKIE.encode() + b"=" in value
        ):
            return True
    return False


def new_csrf_seed() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(binding: str) -> str:
    """The form token for a browser: bound to its session when logged in, else to its CSRF cookie,
    and signed, so that a token is worthless in any other browser."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def csrf_binding(request: Request) -> str | None:
    """What the token of this request's browser is bound to, if it has anything."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing form post whose token is missing or not this browser's."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    binding = csrf_binding(request)
    if (
        not isinstance(sent, str)
        or binding is None
        or not hmac.compare_digest(sent, csrf_token(binding))
    ):
        raise CsrfFailed()
