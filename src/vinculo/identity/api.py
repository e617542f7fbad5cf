"""The identity API: register, get and revoke a bearer token, change the password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from vinculo.identity import service
from vinculo.identity.models import Member
from vinculo.identity.schemas import AccessToken, Credentials, PasswordChange, Registration
from vinculo.notifications import service as notifications
from vinculo.profiles import service as profiles
from vinculo.profiles.schemas import MyProfile
from vinculo.schemas import PROBLEM_RESPONSES
from vinculo.web.deps import ApiCallerDep, DbSession

router = APIRouter(prefix="/auth", tags=["identity"], responses=PROBLEM_RESPONSES)


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: Registration, request: Request, db: DbSession) -> MyProfile:
    """Create a member account. 409 when the email is taken; 422 naming `password` when the
    password is easy to guess (in the language of `locale` or Accept-Language)."""
    _speak(request, body.locale)
    member = service.register_member(
        db, email=body.email, password=body.password, name=body.name, locale=body.locale
    )
    return MyProfile.of_own(profiles.view_profile(db, viewer=member, member_id=member.id))


@router.post("/token")
def issue_token(body: Credentials, request: Request, db: DbSession) -> AccessToken:
    """Exchange an email and a password for a bearer token. The same 401 for an unknown email and
    a wrong password; 429 with Retry-After after too many failures."""
    logged_in = service.log_in(
        db,
        email=body.email,
        password=body.password,
        client_address=client_address(request),
        kind="api",
    )
    return AccessToken(access_token=logged_in.token, expires_in=service.idle_lifetime_seconds())


@router.delete("/token", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(caller: ApiCallerDep, db: DbSession) -> Response:
    """Revoke the bearer token that authenticates this request."""
    service.log_out(db, token=caller.token)
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
