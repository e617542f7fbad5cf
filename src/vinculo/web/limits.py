"""Bounds every request has, whatever it asks: a body no larger than a setting (413), an answer
within a deadline (503 with Retry-After rather than a hang when the database stalls), and fair
use by each client (429 with Retry-After)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import anyio.to_thread
from limits import RateLimitItem, parse_many
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vinculo.errors import N_, TooLarge, TooManyRequests, Unavailable, VinculoError
from vinculo.throttling.storage import MemoryStorage
from vinculo.web.security import SESSION_COOKIE

log = logging.getLogger(__name__)

# Renders an error as the request wants it (problem+json for the API, a page otherwise).
ErrorRenderer = Callable[[Request, VinculoError], Awaitable[object]]


class BodyLimit:
    """Refuse a body larger than `limit` bytes with 413: at once when its Content-Length says
    so; a body sent in chunks without one is read up to the limit before the route sees it.
    The few routes named in `larger` (method, path) allow a body of their own size instead
    (a photo's upload)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        larger: Mapping[tuple[str, str], int] | None = None,
        render: ErrorRenderer,
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get((scope["method"], scope["path"]), self.limit)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            # The server holds the body to its declared length.
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b""):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = await self.render(Request(scope), TooLarge(limit=limit))
        await response(scope, receive, send)  # type: ignore[operator]


class Awaited:
    """Whether a request's answer is still awaited. Its unit of work commits only while it is
    (`may_commit`), and the deadline gives up on it only before its commit began (`abandon`), so
    a request answered 503 for its deadline has written nothing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "waiting"

    def may_commit(self) -> bool:
        with self._lock:
            if self._state == "abandoned":
                return False
            self._state = "committing"
            return True

    def abandon(self) -> bool:
        with self._lock:
            if self._state == "committing":
                return False
            self._state = "abandoned"
            return True


def awaited(scope: Scope) -> Awaited | None:
    """The request's `Awaited`, when a deadline watches it."""
    found = scope.get("state", {}).get(AWAITED)
    return found if isinstance(found, Awaited) else None


AWAITED = "vinculo_awaited"


class Deadline:
    """Answer 503 with Retry-After when the route has not begun its answer within `seconds`
    (a database that stopped answering, a lock held too long), instead of letting the client
    wait without end. The route goes on in the background, rolls back instead of committing, and
    its late answer is dropped; what it holds (a pooled connection) is bounded by the pool, whose
    own wait is short. A route already committing gets `seconds` more to finish."""

    def __init__(self, app: ASGIApp, *, seconds: float, render: ErrorRenderer) -> None:
        self.app = app
        self.seconds = seconds
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()
        abandoned = False
        watched = Awaited()
        scope.setdefault("state", {})[AWAITED] = watched

        async def guarded_send(message: Message) -> None:
            if abandoned:
                return
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        route = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        waiting = asyncio.ensure_future(started.wait())
        done, _ = await asyncio.wait(
            {route, waiting}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED
        )
        if not done and not watched.abandon():
            # Its commit has begun: let it finish, within bounds, rather than answer 503 for
            # something that may be written.
            done, _ = await asyncio.wait(
                {route, waiting}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED
            )
        if not done:
            abandoned = True
            waiting.cancel()
            route.add_done_callback(_log_abandoned)
            log.warning(
                "no answer to %s %s within %.1f s: answered 503",
                scope.get("method"),
                scope.get("path"),
                self.seconds,
            )
            unavailable = Unavailable(retry_after=max(1, round(self.seconds)))
            response = await self.render(Request(scope), unavailable)
            await response(scope, receive, send)  # type: ignore[operator]
            return
        waiting.cancel()
        await route


def _log_abandoned(route: asyncio.Future[None]) -> None:
    if not route.cancelled() and route.exception() is not None:
        log.warning("a request answered 503 for its deadline later failed: %r", route.exception())


class SlowDown(TooManyRequests):
    slug = "slow-down"
    title = N_("Too many requests")
    default_detail = N_("You sent too many requests. Try again in %(seconds)s seconds.")

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(retry_after=retry_after, seconds=max(1, retry_after))


@dataclass(frozen=True)
class Client:
    """Who is asking, for fair use: their bearer token or session when they send one (hashed),
    else their address (an IPv6 one by its /64, which one host usually has whole). `network` is
    the block the address belongs to, which one provider or one organization usually holds
    whole: an IPv4 /24, an IPv6 /48."""

    key: str
    address: str
    network: str


# Prefix lengths of a client's address and of its network block, by IP version.
ADDRESS_PREFIX = {4: 32, 6: 64}
NETWORK_PREFIX = {4: 24, 6: 48}


def client_of(scope: Scope) -> Client:
    headers = dict(scope["headers"])
    address, network = _blocks_of((scope.get("client") or ("unknown", 0))[0])
    authorization = headers.get(b"authorization", b"")
    if authorization[:7].lower() == b"bearer ":
        return Client("token:" + _digest(authorization[7:].strip()), address, network)
    session = cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(SESSION_COOKIE)
    if session:
        return Client("session:" + _digest(session.encode()), address, network)
    return Client("address:" + address, address, network)


@functools.lru_cache(maxsize=4096)
def _blocks_of(host: str) -> tuple[str, str]:
    """A client's address as fair use counts it, and its network block (remembered for the
    addresses seen lately: parsing one costs more than the rest of counting a request)."""
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        return host, host
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return (
        _block(parsed, ADDRESS_PREFIX[parsed.version]),
        _block(parsed, NETWORK_PREFIX[parsed.version]),
    )


def _block(address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int) -> str:
    """The address itself for a full prefix (an IPv4 address), else its block ("10.1.2.0/24")."""
    if prefix == address.max_prefixlen:
        return str(address)
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _digest(secret: bytes) -> str:
    return hashlib.sha256(secret).hexdigest()[:32]


@dataclass
class _Turn:
    semaphore: asyncio.Semaphore
    users: int = 0


class FairUse:
    """Fair use of one process by each client (`client_of`): at most `rates` requests a window
    (429 with Retry-After beyond), and at most `at_once` served at a time: the others wait their
    turn for `wait` seconds, holding neither a thread nor a database connection, then get 429.
    A burst from one client cannot take what other members' requests need. Registering and
    logging in have stricter limits per address (`strict`), and registering per network block
    as well (`strict_network`: one host cycling through the addresses of its block is held
    too), counted where every process sees them (the database, or Redis when configured)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rates: str,
        at_once: int,
        wait: float,
        strict: Mapping[tuple[str, str], str],
        strict_network: Mapping[tuple[str, str], str],
        storage: Storage,
        shared_storage: Storage,
        render: ErrorRenderer,
    ) -> None:
        self.app = app
        self.rates = parse_many(rates)
        self.at_once = at_once
        self.wait = wait
        self.strict = {route: parse_many(limit) for route, limit in strict.items()}
        self.strict_network = {route: parse_many(limit) for route, limit in strict_network.items()}
        self.limiter = FixedWindowRateLimiter(storage)
        self.shared_limiter = FixedWindowRateLimiter(shared_storage)
        # Counting in memory costs nothing; elsewhere it is a call that must leave the loop.
        self.in_memory = isinstance(storage, MemoryStorage)
        self.render = render
        self._turns: dict[str, _Turn] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        route = (scope["method"], path)
        refusal = await self._over(
            self.shared_limiter, self.strict.get(route), client.address, offload=True
        )
        if refusal is None:
            refusal = await self._over(
                self.shared_limiter,
                self.strict_network.get(route),
                "network",
                client.network,
                offload=True,
            )
        if refusal is None:
            refusal = await self._over(
                self.limiter, self.rates, client.key, offload=not self.in_memory
            )
        if refusal is not None:
            await self._answer(scope, receive, send, refusal)
            return
        # Per event loop: a process serves from one, but a test may drive one app from several.
        place = f"{id(asyncio.get_running_loop())}:{client.key}"
        turn = self._turns.setdefault(place, _Turn(asyncio.Semaphore(self.at_once)))
        turn.users += 1
        try:
            try:
                await asyncio.wait_for(turn.semaphore.acquire(), self.wait)
            except TimeoutError:
                await self._answer(scope, receive, send, SlowDown(retry_after=1))
                return
            try:
                await self.app(scope, receive, send)
            finally:
                turn.semaphore.release()
        finally:
            turn.users -= 1
            if not turn.users:
                self._turns.pop(place, None)

    async def _over(
        self,
        limiter: FixedWindowRateLimiter,
        items: Sequence[RateLimitItem] | None,
        *key: str,
        offload: bool,
    ) -> SlowDown | None:
        """Count the request against each limit; the refusal of the first one it is over."""
        for item in items or ():
            allowed = (
                await anyio.to_thread.run_sync(limiter.hit, item, *key)
                if offload
                else limiter.hit(item, *key)
            )
            if not allowed:
                stats = (
                    await anyio.to_thread.run_sync(limiter.get_window_stats, item, *key)
                    if offload
                    else limiter.get_window_stats(item, *key)
                )
                return SlowDown(retry_after=math.ceil(stats.reset_time - time.time()))
        return None

    async def _answer(self, scope: Scope, receive: Receive, send: Send, error: SlowDown) -> None:
        response = await self.render(Request(scope), error)
        await response(scope, receive, send)  # type: ignore[operator]


# Never limited: the static files a page loads, and the health checks of the process manager.
EXEMPT = ("/static/", "/healthz")
