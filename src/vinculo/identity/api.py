"""The identity API: register, get and revoke a bearer token, change the password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from vinculo.identity import service
from vinculo.identity.schemas import AccessToken, Credentials, PasswordChange, Registration
from vinculo.profiles import service as profiles
from vinculo.profiles.schemas import MyProfile
from vinculo.schemas import PROBLEM_RESPONSES
from vinculo.web.deps import ApiCallerDep, DbSession

router = APIRouter(prefix="/auth", tags=["identity"], responses=PROBLEM_RESPONSES)


# Registering and logging in need no token: the document says a token is optional there.
NO_TOKEN: dict[str, Any] = {"security": [{}]}


@router.post("/register", status_code=status.HTTP_201_CREATED, openapi_extra=NO_TOKEN)
def register(body: Registration, db: DbSession) -> MyProfile:
    """Create a member account. 409 when the email is taken."""
    member = service.register_member(
        db, email=body.email, password=body.password, name=body.name, locale=body.locale
    )
    return MyProfile.of_own(profiles.view_profile(db, viewer=member, member_id=member.id))


@router.post("/token", openapi_extra=NO_TOKEN)
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
def change_password(body: PasswordChange, caller: ApiCallerDep, db: DbSession) -> Response:
    """Change your password; every other session and token of yours ends."""
    service.change_password(
        db,
        member=caller.member,
        current_password=body.current_password,
        new_password=body.new_password,
        session_id=caller.session_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run the server with
    --forwarded-allow-ips so that this is the real client)."""
    return request.client.host if request.client else "unknown"
