"""The HTTP application: JSON API under /api/v1, pages, static files, one error renderer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from vinculo import __version__
from vinculo.db import Database
from vinculo.identity import api as identity_api
from vinculo.identity import pages as identity_pages
from vinculo.network import api as network_api
from vinculo.network import pages as network_pages
from vinculo.network.index import NetworkIndex
from vinculo.network.sweep import PeriodicSweep
from vinculo.profiles import api as profiles_api
from vinculo.profiles import pages as profiles_pages
from vinculo.settings import Settings, get_settings
from vinculo.suggestions import api as suggestions_api
from vinculo.suggestions import pages as suggestions_pages
from vinculo.suggestions.engine import SuggestionEngine
from vinculo.web import pages as web_pages
from vinculo.web.problems import install_error_handlers
from vinculo.web.security import SecurityHeaders

STATIC_DIR = Path(__file__).parent / "web" / "static"

API_DESCRIPTION = """
The JSON API of a Vínculo community. Authenticate with `Authorization: Bearer <token>`, the token
coming from `POST /api/v1/auth/token`. Every error is RFC 9457 `application/problem+json`; lists are
`{"items": [...], "next_cursor": ...}`, the next page being `?cursor=<next_cursor>`.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = database or Database(
        settings.database_url,
        busy_timeout=settings.sqlite_busy_timeout,
        pool_size=settings.database_pool_size,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        index = NetworkIndex(database)
        index.load()
        index.start_following(poll_seconds=settings.graph_poll_seconds)
        database.services["network_index"] = index
        database.services["suggestions"] = SuggestionEngine(
            database,
            max_age_seconds=settings.suggestion_profiles_max_age_seconds,
            refit_seconds=settings.suggestion_refit_seconds,
        )
        sweeper = None
        if settings.sweep_interval_seconds > 0:
            sweeper = PeriodicSweep(database, interval=settings.sweep_interval_seconds)
            sweeper.start()
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.stop()
            database.services.pop("network_index", None)
            database.services.pop("suggestions", None)
            index.stop()
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
    app.state.settings = settings
    app.state.database = database

    api = APIRouter(prefix="/api/v1")
    api.include_router(identity_api.router)
    api.include_router(profiles_api.router)
    api.include_router(network_api.router)
    api.include_router(suggestions_api.router)
    app.include_router(api)

    app.include_router(web_pages.router)
    app.include_router(identity_pages.router)
    app.include_router(profiles_pages.router)
    app.include_router(network_pages.router)
    app.include_router(suggestions_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    return app
