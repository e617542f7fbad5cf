"""What routes receive: the request's unit of work, the API caller, the page being served."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from vinculo.db import Database, on_commit
from vinculo.errors import N_, NotAuthenticated, VinculoError
from vinculo.i18n import choose_locale, translations
from vinculo.identity import service as identity
from vinculo.identity.models import Member
from vinculo.notifications import service as notifications
from vinculo.settings import get_settings
from vinculo.web.limits import awaited
from vinculo.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SAFE_METHODS,
    SESSION_COOKIE,
    csrf_binding,
    csrf_token,
    new_csrf_seed,
)
from vinculo.web.templating import language_context, render

ResponseT = TypeVar("ResponseT", bound=Response)
T = TypeVar("T")

LANGUAGE_COOKIE = "vinculo_lang"


def database_of(request: Request) -> Database:
    """The database as this process's requests use it (see `Database.for_requests`)."""
    database: Database = request.app.state.database
    return database.for_requests()


@dataclass(frozen=True)
class RequestUnit:
    """A request's one unit of work, and who is asking, found before it began."""

    db: Session
    signed: identity.SignedIn | None  # None for a visitor, or a token or session not valid
    token: str | None  # the bearer token or session cookie the request came with


@asynccontextmanager
async def _unit(
    request: Request, *, token: str | None, kind: identity.SessionKind
) -> AsyncIterator[RequestUnit]:
    """Find who is asking (one read, outside any transaction: a request with a bogus token never
    waits for, nor holds, the database's write lock), and open the request's unit of work: read
    only for GET, whose reads need no transaction (the token is read in it), or a writing one
    that commits before the response is sent. Its work runs through `Database.run`: opening,
    the route (see `vinculo.web.routing`) and closing, each a step of its own."""
    database = database_of(request)
    writing = request.method not in SAFE_METHODS
    watched = awaited(request.scope)
    unit = database.unit_of_work(
        write=writing, may_commit=watched.may_commit if watched else lambda: True
    )

    def begin() -> RequestUnit:
        signed = None
        if token and writing:
            with database.statements() as reader:
                signed = identity.signed_in(reader, token=token, kind=kind)
        db = unit.__enter__()
        try:
            if token and not writing:
                signed = identity.signed_in(db, token=token, kind=kind)
            elif signed is not None:
                # Read before the unit began: the member belongs to it now, for what it writes.
                signed = signed.attached_to(db)
            if signed is not None:
                _touch_later(db, request, signed)
        except BaseException as error:
            unit.__exit__(type(error), error, error.__traceback__)
            raise
        return RequestUnit(db, signed, token)

    opened = await database.run(begin)
    try:
        yield opened
    except BaseException as error:
        # The route failed: the unit rolls back (or keeps the writes an error says to keep).
        await database.run(unit.__exit__, type(error), error, error.__traceback__)
        raise
    await database.run(unit.__exit__, None, None, None)


def _touch_later(db: Session, request: Request, signed: identity.SignedIn) -> None:
    """Move an idle clock forward after the request, in a short write of its own, so that reading
    pages stays read-only."""
    if signed.needs_touch:
        database = database_of(request)
        on_commit(db, partial(_touch, database, signed.session_id))


def _touch(database: Database, session_id: int) -> None:
    with database.unit_of_work() as db:
        identity.touch_session(db, session_id=session_id)


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token.")


async def api_unit(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AsyncIterator[RequestUnit]:
    """An API request's unit of work, with the member its bearer token belongs to."""
    token = credentials.credentials if credentials else None
    async with _unit(request, token=token, kind="api") as unit:
        yield unit


ApiUnit = Annotated[RequestUnit, Depends(api_unit, scope="function")]


async def api_session(unit: ApiUnit) -> Session:
    return unit.db


DbSession = Annotated[Session, Depends(api_session)]


@dataclass(frozen=True)
class ApiCaller:
    member: Member
    session_id: int
    token: str


async def api_caller(unit: ApiUnit) -> ApiCaller:
    """The member whose bearer token came with the request; 401 without a valid one."""
    if unit.token is None:
        raise NotAuthenticated()
    if unit.signed is None:
        raise NotAuthenticated(N_("The bearer token is not valid, or it has expired."))
    return ApiCaller(member=unit.signed.member, session_id=unit.signed.session_id, token=unit.token)


async def api_member(caller: Annotated[ApiCaller, Depends(api_caller)]) -> Member:
    return caller.member


ApiCallerDep = Annotated[ApiCaller, Depends(api_caller)]
ApiMember = Annotated[Member, Depends(api_member)]


class LoginRequired(NotAuthenticated):
    """A page for members only, asked for by a visitor: the pages answer with the login form."""

    slug = "login-required"
    title = N_("Log in to continue")
    default_detail = N_("This page is for members of the community.")


@dataclass
class Page:
    """One page being served: who is looking, in which language, and how to answer them."""

    request: Request
    db: Session
    viewer: Member | None
    session_id: int | None
    locale: str
    new_csrf_seed: str | None = None
    cookies: list[tuple[str, str | None, int | None]] = field(default_factory=list)

    @property
    def member(self) -> Member:
        """The logged-in viewer, on pages that require one."""
        if self.viewer is None:
            raise LoginRequired()
        return self.viewer

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def csrf_token(self) -> str:
        binding = csrf_binding(self.request) or self.new_csrf_seed
        if binding is None:
            self.new_csrf_seed = binding = new_csrf_seed()
        return csrf_token(binding)

    def context(self, **values: Any) -> dict[str, Any]:
        context = {
            **language_context(self.locale),
            "request": self.request,
            "viewer": self.viewer,
            "csrf_field": CSRF_FIELD,
            "csrf_token": self.csrf_token,
            **values,
        }
        if self.viewer is not None:
            # The header of every member's page shows it: one count, by the indexed member id.
            context.setdefault(
                "unread_notifications", notifications.unread_count(self.db, member=self.viewer)
            )
        return context

    def attempt(self, action: Callable[[], T]) -> T | VinculoError:
        """Run a service call that may refuse, in a savepoint: a refusal undoes whatever the call
        wrote (unless it is one that keeps its writes, as a failed login) and comes back, to be
        shown on the page; the rest of the request goes on. The one way pages handle a refusal
        they show; any other error ends the request as usual."""
        savepoint = self.db.begin_nested()
        try:
            result = action()
        except VinculoError as error:
            if error.keeps_writes:
                savepoint.commit()
            else:
                savepoint.rollback()
            return error
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return result

    def render(self, template: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
        body = render(template, self.context(**values))
        return self.finish(HTMLResponse(body, status_code=status_code))

    def render_refused(
        self, template: str, refusal: VinculoError | None, **values: Any
    ) -> HTMLResponse:
        """A form shown again after it was refused: with the refusal's status and headers (a
        429's Retry-After), or 422 when the input itself did not parse (`refusal` None)."""
        status_code = refusal.status if refusal is not None else 422
        response = self.render(template, status_code=status_code, **values)
        if refusal is not None:
            response.headers.update(refusal.headers)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        """After a successful form post: see the result with a GET (303 See Other)."""
        return self.finish(RedirectResponse(url, status_code=303))

    def set_cookie(self, name: str, value: str | None, *, max_age: int | None = None) -> None:
        """Set (or, with None, delete) a cookie on the response this page returns."""
        self.cookies.append((name, value, max_age))

    def finish(self, response: ResponseT) -> ResponseT:
        secure = get_settings().secure_cookies
        if self.new_csrf_seed is not None:
            response.set_cookie(
                CSRF_COOKIE, self.new_csrf_seed, httponly=True, samesite="lax", secure=secure
            )
        for name, value, max_age in self.cookies:
            if value is None:
                response.delete_cookie(name, httponly=True, samesite="lax", secure=secure)
            else:
                response.set_cookie(
                    name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure
                )
        return response


async def page_unit(request: Request) -> AsyncIterator[RequestUnit]:
    """A page's unit of work, with the member its session cookie belongs to."""
    async with _unit(request, token=request.cookies.get(SESSION_COOKIE), kind="web") as unit:
        yield unit


async def page(
    request: Request, unit: Annotated[RequestUnit, Depends(page_unit, scope="function")]
) -> Page:
    viewer = unit.signed.member if unit.signed else None
    locale = choose_locale(
        preference=viewer.locale if viewer else None,
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
        default=get_settings().default_locale,
    )
    request.state.locale = locale
    return Page(
        request=request,
        db=unit.db,
        viewer=viewer,
        session_id=unit.signed.session_id if unit.signed else None,
        locale=locale,
    )


async def member_page(current: Annotated[Page, Depends(page)]) -> Page:
    """A page only members may see; a visitor is sent to log in."""
    _ = current.member
    return current


async def any_caller_unit(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AsyncIterator[RequestUnit]:
    """The unit of work of a request that a page and an API client both make (an image a page
    shows and the API links to): the member of its bearer token when it has one, else of its
    session cookie."""
    kind: identity.SessionKind = "api" if credentials is not None else "web"
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    async with _unit(request, token=token, kind=kind) as unit:
        yield unit


AnyCallerUnit = Annotated[RequestUnit, Depends(any_caller_unit, scope="function")]


AnyPage = Annotated[Page, Depends(page)]
MemberPage = Annotated[Page, Depends(member_page)]
