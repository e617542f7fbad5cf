"""Identity pages: register, log in, log out, account settings, my sessions and tokens, the
language switch."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from vinculo.account import service as account
from vinculo.errors import VinculoError
from vinculo.i18n import LOCALES
from vinculo.identity import service, two_factor
from vinculo.identity.api import change_password_and_tell, client_address
from vinculo.identity.schemas import (
    Credentials,
    PasswordChange,
    Registration,
    TwoFactorConfirmation,
    TwoFactorProof,
    TwoFactorStart,
)
from vinculo.pagination import DEFAULT_LIMIT
from vinculo.profiles import service as profiles
from vinculo.schemas import Cursor, PathId
from vinculo.web.deps import LANGUAGE_COOKIE, AnyPage, MemberPage, Page
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import SESSION_COOKIE, csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


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
            lambda: service.join(
                page.db,
                email=registration.email,
                password=registration.password,
                name=registration.name,
                locale=registration.locale,
            )
        )
        if member is None:
            return page.render("identity/registered_claim.html", status_code=202)
        if not isinstance(member, VinculoError):
            token = service.first_session(page.db, member=member, client=_client(page.request))
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
    refusal = None
    if credentials is not None:
        # A refusal is answered here rather than raised, and the failure the service recorded
        # (for throttling) is kept.
        logged_in = page.attempt(
            lambda: service.log_in(
                page.db,
                email=credentials.email,
                password=credentials.password,
                client_address=client_address(request),
                user_agent=request.headers.get("user-agent", ""),
                kind="web",
            )
        )
        if not isinstance(logged_in, VinculoError):
            _start_session(page, logged_in.token)
            return page.redirect(_reopening(page, logged_in) or target)
        if isinstance(logged_in, service.SecondFactorRequired):
            # Two-factor sign-in: the password was right; the code is asked for next.
            page.set_cookie(SIGN_IN_COOKIE, logged_in.pending_sign_in, max_age=SIGN_IN_SECONDS)
            return page.redirect(f"/login/code?{urlencode({'next': target})}")
        refusal, errors = logged_in, errors_of(logged_in, gettext=page.gettext)
    return page.render_refused(
        "identity/login.html",
        refusal,
        values={"email": fields.get("email", "")},
        errors=errors,
        next=target,
    )


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
    refusal = None
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
        refusal, errors = changed, errors_of(changed, gettext=page.gettext)
    return page.render_refused("identity/settings.html", refusal, errors=errors, saved=None)


@router.get("/settings/sessions")
def sessions_page(page: MemberPage, cursor: Cursor = None) -> Response:
    """Where you are logged in and which API tokens you have, with a button to end each."""
    found = service.sessions_of(
        page.db,
        member=page.member,
        current_id=page.session_id,
        cursor=cursor,
        limit=DEFAULT_LIMIT,
    )
    return page.render(
        "identity/sessions.html",
        sessions=found.items,
        next_cursor=found.next_cursor,
        done=page.request.query_params.get("done"),
    )


@router.post("/settings/sessions/end-others")
def end_other_sessions(page: MemberPage) -> Response:
    """End every session and token but this browser's."""
    if page.session_id is not None:
        service.end_other_sessions(
            page.db,
            member=page.member,
            current_id=page.session_id,
            client_address=client_address(page.request),
        )
    return page.redirect("/settings/sessions?done=others")


@router.post("/settings/sessions/{session_id}/revoke")
def revoke_session(session_id: PathId, page: MemberPage) -> Response:
    """End a session or token; ending this browser's own logs it out."""
    service.revoke_session(
        page.db,
        member=page.member,
        session_id=session_id,
        client_address=client_address(page.request),
    )
    if session_id == page.session_id:
        page.set_cookie(SESSION_COOKIE, None)
        return page.redirect("/login")
    return page.redirect("/settings/sessions?done=revoked")


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


def _reopening(page: AnyPage, logged_in: service.LoggedIn) -> str | None:
    """After a login that reopened a closed account: its connections restored, and the page
    that says so."""
    if not logged_in.reopened:
        return None
    account.restore_connections(page.db, member=logged_in.member)
    return "/settings?saved=reopened"


def _client(request: Request) -> service.Client:
    return service.Client(client_address(request), request.headers.get("user-agent", ""))


def _safe_next(target: str) -> str:
    """Only a path on this site: an open redirect would let a link send people elsewhere.
    Browsers read a backslash as a slash (`/\\evil.example` is `//evil.example` to them) and drop
    tabs and newlines from a location, so a target with any of them is not taken either."""
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or any(char == "\\" or not char.isprintable() for char in target)
    ):
        return "/"
    return target


# Two-factor sign-in: the login's second step, and setting it up, changing the recovery codes and
# turning it off under Settings.

# The cookie that says, signed, whose code the login page waits for after the right password.
SIGN_IN_COOKIE = "vinculo_sign_in"
SIGN_IN_SECONDS = int(two_factor.PENDING_SIGN_IN.total_seconds())


@router.get("/login/code")
def login_code_form(page: AnyPage, request: Request, next: str = "/") -> Response:  # noqa: A002
    if page.viewer is not None:
        return page.redirect(_safe_next(next))
    if not request.cookies.get(SIGN_IN_COOKIE):
        return page.redirect("/login")
    return page.render("identity/login_code.html", errors={}, next=_safe_next(next))


@router.post("/login/code")
def log_in_with_code(page: AnyPage, request: Request, fields: FormFields) -> Response:
    target = _safe_next(fields.get("next", "/"))
    pending = request.cookies.get(SIGN_IN_COOKIE, "")
    confirmation, errors = parse_form(
        TwoFactorConfirmation, fields, gettext=page.gettext, only=("code",)
    )
    refusal = None
    if confirmation is not None:
        logged_in = page.attempt(
            lambda: service.log_in_with_code(
                page.db,
                pending_sign_in=pending,
                code=confirmation.code,
                client=_client(request),
                kind="web",
            )
        )
        if not isinstance(logged_in, VinculoError):
            page.set_cookie(SIGN_IN_COOKIE, None)
            _start_session(page, logged_in.token)
            return page.redirect(_reopening(page, logged_in) or target)
        if isinstance(logged_in, service.SignInExpired):
            page.set_cookie(SIGN_IN_COOKIE, None)
            return page.render(
                "identity/login.html",
                status_code=logged_in.status,
                values={},
                errors=errors_of(logged_in, gettext=page.gettext),
                next=target,
            )
        refusal, errors = logged_in, errors_of(logged_in, gettext=page.gettext)
    return page.render_refused("identity/login_code.html", refusal, errors=errors, next=target)


@router.get("/settings/two-factor")
def two_factor_page(page: MemberPage) -> HTMLResponse:
    return _two_factor_page(page, errors={})


@router.post("/settings/two-factor/start")
def start_two_factor(page: MemberPage, request: Request, fields: FormFields) -> Response:
    start, errors = parse_form(TwoFactorStart, fields, gettext=page.gettext)
    if start is not None:
        started = page.attempt(
            lambda: service.start_two_factor(
                page.db,
                member=page.member,
                password=start.password,
                client_address=client_address(request),
            )
        )
        if not isinstance(started, VinculoError):
            return page.redirect("/settings/two-factor")
        errors = errors_of(started, gettext=page.gettext)
    return _two_factor_page(page, errors=errors, status_code=422)


@router.post("/settings/two-factor/confirm")
def confirm_two_factor(page: MemberPage, request: Request, fields: FormFields) -> Response:
    confirmation, errors = parse_form(TwoFactorConfirmation, fields, gettext=page.gettext)
    if confirmation is not None:
        codes = page.attempt(
            lambda: service.confirm_two_factor(
                page.db,
                member=page.member,
                code=confirmation.code,
                client_address=client_address(request),
            )
        )
        if not isinstance(codes, VinculoError):
            return _recovery_codes_page(page, codes, just_turned_on=True)
        errors = errors_of(codes, gettext=page.gettext)
    return _two_factor_page(page, errors=errors, status_code=422)


@router.post("/settings/two-factor/recovery-codes")
def new_recovery_codes(page: MemberPage, request: Request, fields: FormFields) -> Response:
    proof, errors = parse_form(TwoFactorProof, fields, gettext=page.gettext)
    if proof is not None:
        codes = page.attempt(
            lambda: service.new_recovery_codes(
                page.db,
                member=page.member,
                password=proof.password,
                code=proof.code,
                client_address=client_address(request),
            )
        )
        if not isinstance(codes, VinculoError):
            return _recovery_codes_page(page, codes, just_turned_on=False)
        errors = errors_of(codes, gettext=page.gettext)
    return _two_factor_page(page, errors=errors, status_code=422)


@router.post("/settings/two-factor/disable")
def turn_off_two_factor(page: MemberPage, request: Request, fields: FormFields) -> Response:
    proof, errors = parse_form(TwoFactorProof, fields, gettext=page.gettext)
    if proof is not None:
        turned_off = page.attempt(
            lambda: service.turn_off_two_factor(
                page.db,
                member=page.member,
                password=proof.password,
                code=proof.code,
                client_address=client_address(request),
            )
        )
        if not isinstance(turned_off, VinculoError):
            return page.redirect("/settings?saved=two-factor-off")
        errors = errors_of(turned_off, gettext=page.gettext)
    return _two_factor_page(page, errors=errors, status_code=422)


def _two_factor_page(page: Page, *, errors: dict[str, str], status_code: int = 200) -> HTMLResponse:
    found = two_factor.status(page.db, member=page.member)
    qr_code = None
    if found.enrolment is not None:
        # An SVG drawn here, inline: no script, no image request that could leak the secret.
        qr_code = Markup(  # noqa: S704 - segno's own markup, from the secret's link
            segno.make(found.enrolment.uri, error="m").svg_inline(
                scale=4, dark="#000", light="#fff"
            )
        )
    response = page.render(
        "identity/two_factor.html",
        status_code=status_code,
        status=found,
        qr_code=qr_code,
        errors=errors,
    )
    # The page may show the app's secret while set-up waits for its first code.
    response.headers["Cache-Control"] = "no-store"
    return response


def _recovery_codes_page(page: Page, codes: list[str], *, just_turned_on: bool) -> HTMLResponse:
    response = page.render(
        "identity/recovery_codes.html", codes=codes, just_turned_on=just_turned_on
    )
    response.headers["Cache-Control"] = "no-store"
    return response
