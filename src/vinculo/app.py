"""The HTTP application: JSON API under /api/v1, pages, static files, one error renderer."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from limits.storage import RedisStorage

from vinculo import __version__
from vinculo.account import api as account_api
from vinculo.account import pages as account_pages
from vinculo.db import Database
from vinculo.groups import api as groups_api
from vinculo.groups import pages as groups_pages
from vinculo.home import pages as home_pages
from vinculo.identity import api as identity_api
from vinculo.identity import link_pages as identity_link_pages
from vinculo.identity import pages as identity_pages
from vinculo.introductions import api as introductions_api
from vinculo.introductions import pages as introductions_pages
from vinculo.invitations import api as invitations_api
from vinculo.invitations import pages as invitations_pages
from vinculo.mail import api as mail_api
from vinculo.mail import pages as mail_pages
from vinculo.network import api as network_api
from vinculo.network import pages as network_pages
from vinculo.notifications import api as notifications_api
from vinculo.notifications import pages as notifications_pages
from vinculo.photos import api as photos_api
from vinculo.photos import pages as photos_pages
from vinculo.posts import api as posts_api
from vinculo.posts import pages as posts_pages
from vinculo.privacy import api as privacy_api
from vinculo.privacy import pages as privacy_pages
from vinculo.process import ProcessServices
from vinculo.profiles import api as profiles_api
from vinculo.profiles import pages as profiles_pages
from vinculo.schemas import exact_bounds
from vinculo.search import api as search_api
from vinculo.search import pages as search_pages
from vinculo.security import api as security_api
from vinculo.security import pages as security_pages
from vinculo.settings import Settings, get_settings
from vinculo.suggestions import api as suggestions_api
from vinculo.suggestions import pages as suggestions_pages
from vinculo.throttling.storage import DatabaseStorage, MemoryStorage
from vinculo.web import pages as web_pages
from vinculo.web.limits import BodyLimit, Deadline, FairUse
from vinculo.web.problems import install_error_handlers, render_error
from vinculo.web.security import SecurityHeaders

STATIC_DIR = Path(__file__).parent / "web" / "static"

API_DESCRIPTION = """
The JSON API of a Vínculo community. Authenticate with `Authorization: Bearer <token>`, the token
coming from `POST /api/v1/auth/token`. Every error is RFC 9457 `application/problem+json`; lists are
`{"items": [...], "next_cursor": ...}`, the next page being `?cursor=<next_cursor>`.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    # A web process started by uvicorn's supervisor has not run the command's own set-up.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    database = database or Database.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services = ProcessServices.for_serving(database, settings)
        database.serve_requests_here()
        _freeze_what_start_up_built()
        try:
            yield
        finally:
            services.stop()
            await database.dispose_for_requests()
            database.dispose()

    app = FastAPI(
        title="Vínculo",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    build_openapi = app.openapi
    app.openapi = lambda: exact_bounds(build_openapi())  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.database = database

    app.include_router(_api_router())

    for area_pages in (
        web_pages,
        home_pages,
        identity_pages,
        identity_link_pages,
        profiles_pages,
        search_pages,
        photos_pages,
        invitations_pages,
        introductions_pages,
        groups_pages,
        posts_pages,
        network_pages,
        privacy_pages,
        notifications_pages,
        suggestions_pages,
        security_pages,
        mail_pages,
        account_pages,
    ):
        app.include_router(area_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    install_error_handlers(app)
    # The outermost last: security headers on every answer, the deadline over all the rest.
    # The routes that take a photo allow its size, and a little more for a form's other fields.
    photo_body = settings.max_photo_bytes + 64 * 1024
    app.add_middleware(
        BodyLimit,
        limit=settings.max_request_bytes,
        larger={
            ("PUT", "/api/v1/members/me/photo"): photo_body,
            ("POST", "/profile/photo"): photo_body,
        },
        render=render_error,
    )
    app.add_middleware(
        FairUse,
        rates=settings.rate_limit,
        at_once=settings.requests_at_once,
        wait=settings.turn_wait,
        strict={
            ("POST", "/api/v1/auth/register"): settings.registration_rate_limit,
            ("POST", "/register"): settings.registration_rate_limit,
            ("POST", "/api/v1/auth/token"): settings.login_rate_limit,
            ("POST", "/login"): settings.login_rate_limit,
            # Each of these may send a mail: as strict as logging in, per address.
            ("POST", "/api/v1/auth/password-reset"): settings.login_rate_limit,
            ("POST", "/forgot-password"): settings.login_rate_limit,
            ("POST", "/api/v1/auth/password-reset/confirm"): settings.login_rate_limit,
            ("POST", "/reset-password"): settings.login_rate_limit,
            ("POST", "/api/v1/auth/claim"): settings.login_rate_limit,
            ("POST", "/claim"): settings.login_rate_limit,
        },
        strict_network={
            ("POST", "/api/v1/auth/register"): settings.registration_network_rate_limit,
            ("POST", "/register"): settings.registration_network_rate_limit,
        },
        storage=_redis(settings) or MemoryStorage(),
        shared_storage=_redis(settings) or DatabaseStorage(database),
        render=render_error,
    )
    app.add_middleware(Deadline, seconds=settings.request_deadline, render=render_error)
    app.add_middleware(SecurityHeaders, production=settings.environment == "production")
    return app


@functools.cache
def _api_router() -> APIRouter:
    """Every area's API routes under /api/v1: one router per process, whatever the number of
    apps built (FastAPI prepares a router's routes when first included, then reuses them)."""
    api = APIRouter(prefix="/api/v1")
    for area in (
        identity_api,
        profiles_api,
        search_api,
        photos_api,
        invitations_api,
        introductions_api,
        groups_api,
        posts_api,
        network_api,
        privacy_api,
        notifications_api,
        suggestions_api,
        security_api,
        mail_api,
        account_api,
    ):
        api.include_router(area.router)
    return api


@functools.cache
def _freeze_what_start_up_built() -> None:
    """What start-up built (the graph index, the kernels, the templates) lives as long as the
    process: out of the garbage collector's sight, a full collection under load no longer walks
    it (pauses of a tenth of a second and more). Once per process: a web process starts its app
    once, and a process that starts many (the tests) would otherwise collect at each."""
    gc.collect()
    gc.freeze()


def _redis(settings: Settings) -> RedisStorage | None:
    """Counters in Redis, shared by every process, when the community has one."""
    if not settings.redis_url:
        return None
    return RedisStorage(settings.redis_url, key_prefix=settings.redis_prefix)
