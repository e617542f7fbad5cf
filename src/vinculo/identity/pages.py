"""Identity pages: register, log in, log out, account settings, the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vinculo.errors import VinculoError
from vinculo.i18n import LOCALES
from vinculo.identity import service
from vinculo.identity.api import change_password_and_tell, client_address
from vinculo.identity.schemas import Credentials, PasswordChange, Registration
from vinculo.profiles import service as profiles
from vinculo.web.deps import LANGUAGE_COOKIE, AnyPage, MemberPage
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.security import SESSION_COOKIE, csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/register")
def register_form(page: AnyPage) -> Response:
    if page.viewer is not None:
        return page.redirect("/")
    return page.render("identity/register.html", values={}, errors={})


@router.post("/register")
def register(page: AnyPage, fields: FormFields) -> Response:
    registration, errors = parse_form(
        Registration, {**fields, "locale": page.locale}, gettext=page.gettext
    )
    if registration is not None:
        member = page.attempt(
            lambda: service.register_member(
                page.db,
                email=registration.email,
                password=registration.password,
                name=registration.name,
                locale=registration.locale,
            )
        )
        if not isinstance(member, VinculoError):
            token = service.open_session(page.db, member=member, kind="web")
            _start_session(page, token)
            return page.redirect("/profile/edit?welcome=1")
        errors = errors_of(member, gettext=page.gettext)
    return page.render(
        "identity/register.html",
        status_code=422,
        values={key: value for key, value in fields.items() if key != "password"},
        errors=errors,
    )


@router.get("/login")
def login_form(page: AnyPage, next: str = "/") -> Response:  # noqa: A002 - the usual parameter name
    if page.viewer is not None:
        return page.redirect(_safe_next(next))
    return page.render("identity/login.html", values={}, errors={}, next=_safe_next(next))


@router.post("/login")
def log_in(page: AnyPage, request: Request, fields: FormFields) -> Response:
    target = _safe_next(fields.get("next", "/"))
    credentials, errors = parse_form(
        Credentials, fields, gettext=page.gettext, only=("email", "password")
    )
    status_code, headers = 422, {}
    if credentials is not None:
        # A refusal is answered here rather than raised, and the failure the service recorded
        # (for throttling) is kept.
        logged_in = page.attempt(
            lambda: service.log_in(
                page.db,
                email=credentials.email,
                password=credentials.password,
                client_address=client_address(request),
                kind="web",
            )
        )
        if not isinstance(logged_in, VinculoError):
            _start_session(page, logged_in.token)
            return page.redirect(target)
        errors, status_code, headers = (
            errors_of(logged_in, gettext=page.gettext),
            logged_in.status,
            logged_in.headers,
        )
    response = page.render(
        "identity/login.html",
        status_code=status_code,
        values={"email": fields.get("email", "")},
        errors=errors,
        next=target,
    )
    response.headers.update(headers)
    return response


@router.post("/logout")
def log_out(page: AnyPage, request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.log_out(page.db, token=token)
    page.set_cookie(SESSION_COOKIE, None)
    return page.redirect("/")


@router.get("/settings")
def settings_page(page: MemberPage) -> HTMLResponse:
    return page.render(
        "identity/settings.html", errors={}, saved=page.request.query_params.get("saved")
    )


@router.post("/settings/password")
def change_password(page: MemberPage, request: Request, fields: FormFields) -> Response:
    change, errors = parse_form(PasswordChange, fields, gettext=page.gettext)
    status_code, headers = 422, {}
    if change is not None and page.session_id is not None:
        session_id = page.session_id
        # A refusal is shown here; a wrong current password stays counted (for throttling).
        changed = page.attempt(
            lambda: change_password_and_tell(
                page.db,
                member=page.member,
                change=change,
                session_id=session_id,
                client_address=client_address(request),
            )
        )
        if not isinstance(changed, VinculoError):
            return page.redirect("/settings?saved=password")
        errors, status_code, headers = (
            errors_of(changed, gettext=page.gettext),
            changed.status,
            changed.headers,
        )
    response = page.render(
        "identity/settings.html", status_code=status_code, errors=errors, saved=None
    )
    response.headers.update(headers)
    return response


@router.post("/language")
def choose_language(page: AnyPage, fields: FormFields) -> Response:
    """Switch the pages' language; a member's choice is kept on their profile."""
    language = fields.get("language", "")
    if language in LOCALES:
        page.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400)
        if page.viewer is not None:
            profiles.update_profile(page.db, member=page.viewer, changes={"locale": language})
    return page.redirect(_safe_next(fields.get("next", "/")))


def _start_session(page: AnyPage, token: str) -> None:
    page.set_cookie(SESSION_COOKIE, token, max_age=service.idle_lifetime_seconds())


def _safe_next(target: str) -> str:
    """Only a path on this site: an open redirect would let a link send people elsewhere."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
