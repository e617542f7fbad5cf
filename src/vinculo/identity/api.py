"""The identity API: register, get and revoke a bearer token, change the password, list and end
your sessions and tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse

from vinculo import clock
from vinculo.account import service as account
from vinculo.errors import N_
from vinculo.i18n import translations
from vinculo.identity import links, service, two_factor
from vinculo.identity.models import Member
from vinculo.identity.schemas import (
    Accepted,
    AccessToken,
    AccountClaim,
    EmailChange,
    EmailConfirmation,
    PasswordByLink,
    PasswordChange,
    PasswordResetRequest,
    RecoveryCodes,
    Registration,
    SessionPage,
    TokenRequest,
    TwoFactorConfirmation,
    TwoFactorEnrolment,
    TwoFactorProof,
    TwoFactorStart,
    TwoFactorStatus,
)
from vinculo.notifications import service as notifications
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.profiles import service as profiles
from vinculo.profiles.schemas import MyProfile
from vinculo.schemas import PROBLEM_RESPONSES, Cursor, PathId
from vinculo.web.deps import ApiCallerDep, DbSession
from vinculo.web.problems import api_locale
from vinculo.web.routing import UnitRoute

router = APIRouter(
    route_class=UnitRoute, prefix="/auth", tags=["identity"], responses=PROBLEM_RESPONSES
)


# Registering and logging in need no token: the document says a token is optional there.
NO_TOKEN: dict[str, Any] = {"security": [{}]}


CLAIM_SENT = N_(
    "This email belongs to an account your community made for you. We sent it a link to claim "
    "the account and choose your password."
)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=MyProfile,
    openapi_extra=NO_TOKEN,
    responses={
        202: {"model": Accepted, "description": "An imported account: a claim link was mailed."}
    },
)
def register(body: Registration, request: Request, db: DbSession) -> MyProfile | JSONResponse:
    """Create a member account, and mail a link confirming the address (the member acts at
    once: confirming is a mark, not a gate). 409 when the email is taken; 202 when it is the
    email of an account `vinculo import` made, which is mailed a link to claim it instead; 422
    naming `password` when the password is easy to guess (in the language of `locale` or
    Accept-Language)."""
    _speak(request, body.locale)
    member = service.join(
        db, email=body.email, password=body.password, name=body.name, locale=body.locale
    )
    if member is None:
        return _accepted(request, CLAIM_SENT)
    return MyProfile.of_own(profiles.view_profile(db, viewer=member, member_id=member.id))


RESET_ASKED = N_(
    "If this email belongs to a member, a link to choose a new password is on its way. It works "
    "for one hour."
)


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, openapi_extra=NO_TOKEN)
def ask_password_reset(body: PasswordResetRequest, request: Request, db: DbSession) -> Accepted:
    """Mail a link to choose a new password. The same answer whether or not the email belongs
    to a member."""
    links.ask_password_reset(db, email=body.email)
    return Accepted(detail=_gettext(request, RESET_ASKED))


@router.post(
    "/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, openapi_extra=NO_TOKEN
)
def reset_password(body: PasswordByLink, db: DbSession) -> Response:
    """Set a new password with the mailed link's token: every session and token of the member
    ends. 422 naming `token` for a link used, expired or not ours; naming `new_password` when it
    is easy to guess (the link still works)."""
    member = links.set_password_by_link(
        db,
        token=body.token,
        password=body.new_password,
        purpose="reset_password",
        field="new_password",
    )
    notifications.notify(db, member_id=member.id, kind="password_changed", actor_id=member.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/claim", status_code=status.HTTP_204_NO_CONTENT, openapi_extra=NO_TOKEN)
def claim_account(body: AccountClaim, db: DbSession) -> Response:
    """Claim an account `vinculo import` made, with the mailed link's token and a password of
    your own; then get a token as any member does. Its profile, positions, education and
    connections are kept. 422 naming `token` or `password`."""
    links.set_password_by_link(
        db, token=body.token, password=body.password, purpose="claim_account"
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/confirm-email", status_code=status.HTTP_204_NO_CONTENT, openapi_extra=NO_TOKEN)
def confirm_email(body: EmailConfirmation, db: DbSession) -> Response:
    """Confirm an address with the mailed link's token: a new account's, or the new address a
    member asked for, which becomes the account's. 422 naming `token` for a link used, expired
    or not ours; 409 when another member took the new address meanwhile."""
    links.confirm_email(db, token=body.token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


CONFIRMATION_SENT = N_("A link to confirm your address is on its way, unless it is confirmed.")


@router.post("/confirm-email/resend", status_code=status.HTTP_202_ACCEPTED)
def resend_confirmation(caller: ApiCallerDep, request: Request, db: DbSession) -> Accepted:
    """Mail the link confirming your address again (at most once every two minutes)."""
    links.send_confirmation(db, member=caller.member)
    return Accepted(detail=_gettext(request, CONFIRMATION_SENT, caller.member.locale))


CHANGE_ASKED = N_(
    "We sent a link to your new address: the change is made once you follow it. Your current "
    "address was told."
)


@router.post("/email", status_code=status.HTTP_202_ACCEPTED)
def change_email(
    body: EmailChange, caller: ApiCallerDep, request: Request, db: DbSession
) -> Accepted:
    """Change your email address: with your password (422 naming `password`, counted like a
    failed login), a link goes to the new address, which becomes yours once followed, and a
    notice to the current one. 409 when the new address is taken."""
    service.prove_password(
        db, member=caller.member, password=body.password, client_address=client_address(request)
    )
    links.ask_email_change(db, member=caller.member, new_email=body.new_email)
    return Accepted(detail=_gettext(request, CHANGE_ASKED, caller.member.locale))


def _gettext(request: Request, message: str, locale: str | None = None) -> str:
    """A message in the member's language, else the request's, as its problems are answered."""
    _speak(request, locale)
    return translations(api_locale(request)).gettext(message)


def _accepted(request: Request, message: str) -> JSONResponse:
    body = Accepted(detail=_gettext(request, message))
    return JSONResponse(body.model_dump(), status_code=status.HTTP_202_ACCEPTED)


@router.post("/token", openapi_extra=NO_TOKEN)
def issue_token(body: TokenRequest, request: Request, db: DbSession) -> AccessToken:
    """Exchange an email and a password for a bearer token. The same 401 for an unknown email and
    a wrong password; 429 with Retry-After after too many failures. The token ends when unused
    for the idle limit, and at `expires_at` however often it is used (`lifetime_days` asks for a
    shorter life). When the member turned two-factor sign-in on, also send `code`: without it the
    answer is 401 `second-factor-required`, and a wrong or used code is 401
    `wrong-second-factor`, counted as a failed login. Logging in to an account closed within
    its grace period reopens it, with its connections."""
    logged_in = service.log_in(
        db,
        email=body.email,
        password=body.password,
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
        kind="api",
        code=body.code,
        lifetime_days=body.lifetime_days,
    )
    if logged_in.reopened:
        account.restore_connections(db, member=logged_in.member)
    left = int((logged_in.expires_at - clock.now()).total_seconds())
    return AccessToken(
        access_token=logged_in.token,
        expires_in=min(service.idle_lifetime_seconds(), left),
        expires_at=logged_in.expires_at,
    )


@router.delete("/token", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(caller: ApiCallerDep, db: DbSession) -> Response:
    """Revoke the bearer token that authenticates this request."""
    service.log_out(db, token=caller.token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions")
def list_sessions(
    caller: ApiCallerDep,
    db: DbSession,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SessionPage:
    """Your page sessions and API tokens still alive, newest first, with when each was made and
    last used, and which one is this request's."""
    return SessionPage.of(
        service.sessions_of(
            db, member=caller.member, current_id=caller.session_id, cursor=cursor, limit=limit
        )
    )


@router.delete("/sessions", status_code=status.HTTP_204_NO_CONTENT)
def end_other_sessions(caller: ApiCallerDep, request: Request, db: DbSession) -> Response:
    """End every session and token of yours but this request's: after a password or two-factor
    change, or whenever a session in the list is not one you recognise."""
    service.end_other_sessions(
        db,
        member=caller.member,
        current_id=caller.session_id,
        client_address=client_address(request),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(
    session_id: PathId, caller: ApiCallerDep, request: Request, db: DbSession
) -> Response:
    """End one of your sessions or tokens at once (this request's own too); 404 for an id that is
    not one of yours."""
    service.revoke_session(
        db, member=caller.member, session_id=session_id, client_address=client_address(request)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange, caller: ApiCallerDep, request: Request, db: DbSession
) -> Response:
    """Change your password; every other session and token of yours ends, and you get a
    notification. 422 naming `new_password` when it is easy to guess; wrong current passwords
    count as failed logins (429 with Retry-After after too many)."""
    _speak(request, caller.member.locale)
    change_password_and_tell(
        db,
        member=caller.member,
        change=body,
        session_id=caller.session_id,
        client_address=client_address(request),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def change_password_and_tell(
    db: DbSession, *, member: Member, change: PasswordChange, session_id: int, client_address: str
) -> None:
    """Change the password, and notify the member, so that a change they did not make (a
    stolen session) does not go unnoticed. The API and the settings page both come here."""
    service.change_password(
        db,
        member=member,
        current_password=change.current_password,
        new_password=change.new_password,
        session_id=session_id,
        client_address=client_address,
    )
    notifications.notify(db, member_id=member.id, kind="password_changed", actor_id=member.id)


def _speak(request: Request, locale: str | None) -> None:
    """Say what is wrong with the request in the member's own language, when they chose one
    (else Accept-Language's): a password's weakness is for the person to read."""
    if locale is not None:
        request.state.locale = locale


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run the server with
    --forwarded-allow-ips so that this is the real client)."""
    return request.client.host if request.client else "unknown"


# Two-factor sign-in: set up with the password and a first code, then every token asks for a code.


@router.get("/two-factor")
def two_factor_status(caller: ApiCallerDep, db: DbSession) -> TwoFactorStatus:
    """Whether two-factor sign-in is on, and how many recovery codes are left."""
    found = two_factor.status(db, member=caller.member)
    return TwoFactorStatus(
        enabled=found.on,
        enabled_at=found.confirmed_at,
        recovery_codes_left=found.recovery_codes_left,
    )


@router.post("/two-factor", status_code=status.HTTP_201_CREATED)
def start_two_factor(
    body: TwoFactorStart,
    caller: ApiCallerDep,
    request: Request,
    db: DbSession,
    response: Response,
) -> TwoFactorEnrolment:
    """Start setting up two-factor sign-in (the password proves it is you): a new secret for an
    authenticator app, on only once confirmed with a code. 409 when it is already on."""
    enrolment = service.start_two_factor(
        db, member=caller.member, password=body.password, client_address=client_address(request)
    )
    response.headers["Cache-Control"] = "no-store"
    return TwoFactorEnrolment(secret=enrolment.secret, otpauth_uri=enrolment.uri)


@router.post("/two-factor/confirm")
def confirm_two_factor(
    body: TwoFactorConfirmation,
    caller: ApiCallerDep,
    request: Request,
    db: DbSession,
    response: Response,
) -> RecoveryCodes:
    """Turn two-factor sign-in on with a current code of the new secret; the recovery codes,
    shown this once. 422 for a wrong code; 409 when no set-up was started."""
    codes = service.confirm_two_factor(
        db, member=caller.member, code=body.code, client_address=client_address(request)
    )
    response.headers["Cache-Control"] = "no-store"
    return RecoveryCodes(recovery_codes=codes)


@router.post("/two-factor/recovery-codes")
def new_recovery_codes(
    body: TwoFactorProof,
    caller: ApiCallerDep,
    request: Request,
    db: DbSession,
    response: Response,
) -> RecoveryCodes:
    """New recovery codes in place of the old ones, after the password and a current code."""
    codes = service.new_recovery_codes(
        db,
        member=caller.member,
        password=body.password,
        code=body.code,
        client_address=client_address(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return RecoveryCodes(recovery_codes=codes)


@router.post("/two-factor/disable", status_code=status.HTTP_204_NO_CONTENT)
def turn_off_two_factor(
    body: TwoFactorProof, caller: ApiCallerDep, request: Request, db: DbSession
) -> Response:
    """Turn two-factor sign-in off, after the password and a current code or a recovery code."""
    service.turn_off_two_factor(
        db,
        member=caller.member,
        password=body.password,
        code=body.code,
        client_address=client_address(request),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
