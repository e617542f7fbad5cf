"""Rendering errors: RFC 9457 problem details for the API, a page in the reader's language for
browsers. An expected error is never a 500."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from vinculo.errors import N_, FieldError, Unavailable, VinculoError, problem_type
from vinculo.i18n import LOCALES, SOURCE_LOCALE, choose_locale, negotiate, translations
from vinculo.settings import get_settings
from vinculo.web.templating import language_context, render

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"

HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("bad-request", N_("Bad request")),
    401: ("not-authenticated", N_("Not authenticated")),
    403: ("forbidden", N_("Forbidden")),
    404: ("not-found", N_("Not found")),
    405: ("method-not-allowed", N_("Method not allowed")),
    413: ("too-large", N_("Request too large")),
    415: ("unsupported-media-type", N_("Unsupported media type")),
    500: ("server-error", N_("Something went wrong")),
}


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

# What the database raises when it is down, stalled, out of connections or busy past a timeout:
# the request changed nothing and may be sent again.
DATABASE_UNAVAILABLE = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    sqlalchemy.exc.DisconnectionError,
)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(VinculoError, _on_vinculo_error)  # type: ignore[arg-type]
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _on_database_unavailable)
    app.add_exception_handler(RequestValidationError, _on_invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected_error)


def _wants_problem_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def problem_response(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    params: dict[str, Any] | None = None,
    errors: tuple[FieldError, ...] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    if _wants_problem_json(request):
        gettext = translations(api_locale(request)).gettext
        messages = [(error.field, _translated(error, gettext)) for error in errors]
        translated = gettext(detail)
        body: dict[str, Any] = {
            "type": problem_type(slug),
            "title": gettext(title),
            "status": status,
            "detail": "; ".join(f"{field}: {message}" for field, message in messages)
            if messages
            else (translated % params if params else translated),
        }
        if errors:
            body["errors"] = [{"field": field, "message": message} for field, message in messages]
        return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)
    return _error_page(
        request, status=status, title=title, detail=detail, params=params, headers=headers
    )


def api_locale(request: Request) -> str:
    """The API's problems are in English unless the route knows the member's language (it sets
    `request.state.locale`) or the request's Accept-Language asks for another we speak."""
    chosen = getattr(request.state, "locale", None)
    if chosen in LOCALES:
        return str(chosen)
    return negotiate(request.headers.get("accept-language")) or SOURCE_LOCALE


def _translated(error: FieldError, gettext: Callable[[str], str]) -> str:
    message = gettext(error.message)
    return message % error.params if error.params else message


def _error_page(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    params: dict[str, Any] | None,
    headers: dict[str, str] | None,
) -> HTMLResponse:
    locale = getattr(request.state, "locale", None) or choose_locale(
        preference=None,
        cookie=request.cookies.get("vinculo_lang"),
        accept_language=request.headers.get("accept-language"),
        default=get_settings().default_locale,
    )
    gettext = translations(locale).gettext
    translated = gettext(detail)
    body = render(
        "error.html",
        {
            **language_context(locale),
            "request": request,
            "viewer": None,
            "status": status,
            "title": gettext(title),
            "detail": translated % params if params else translated,
        },
    )
    return HTMLResponse(body, status_code=status, headers=headers)


async def render_error(request: Request, error: VinculoError) -> Response:
    """An expected error as the request wants it: problem+json under /api/, a page elsewhere."""
    return await _on_vinculo_error(request, error)


async def _on_database_unavailable(request: Request, error: Exception) -> Response:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
    return await _on_vinculo_error(request, Unavailable())


async def _on_vinculo_error(request: Request, error: VinculoError) -> Response:
    from vinculo.web.deps import LoginRequired

    if isinstance(error, LoginRequired) and not _wants_problem_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return problem_response(
        request,
        status=error.status,
        slug=error.slug,
        title=error.title,
        detail=error.template,
        params=error.params,
        errors=error.errors,
        headers=error.headers,
    )


async def _on_invalid_request(request: Request, invalid: RequestValidationError) -> Response:
    errors = tuple(_field_error(error) for error in invalid.errors())
    detail = "; ".join(f"{error.field}: {error.english()}" for error in errors)
    return problem_response(
        request,
        status=422,
        slug="invalid-input",
        title=N_("Invalid input"),
        detail=detail or N_("Some fields are not valid."),
        errors=errors,
    )


def _field_error(error: dict[str, Any]) -> FieldError:
    location = [str(part) for part in error.get("loc", ())]
    # ("body", "email") names the field "email"; a broken JSON body names the whole "body".
    field = ".".join(location[1:]) if len(location) > 1 else (location[0] if location else "body")
    if error.get("type") == "json_invalid":
        field = "body"
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return FieldError(field=field, message=message, params={})


async def _on_http_error(request: Request, error: HTTPException) -> Response:
    slug, title = HTTP_PROBLEMS.get(error.status_code, ("http-error", N_("Error")))
    detail = error.detail if isinstance(error.detail, str) else title
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers.update(_allow_header(request))
    return problem_response(
        request, status=error.status_code, slug=slug, title=title, detail=detail, headers=headers
    )


def _allow_header(request: Request) -> dict[str, str]:
    """Every method the path answers: the router names only those of the first route it found
    for the path (`/login` is two routes, GET and POST). A mounted app (the static files) names
    its own."""
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    allowed = [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]
    return {"Allow": ", ".join(allowed)} if allowed else {}


async def _on_unexpected_error(request: Request, error: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(
        request,
        status=500,
        slug="server-error",
        title=N_("Something went wrong"),
        detail=N_("An unexpected error happened; it has been logged."),
    )
