"""The account API: export everything the product holds about you, close your account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from vinculo.account import service
from vinculo.account.schemas import AccountClosedOut, AccountClosing
from vinculo.identity.api import client_address
from vinculo.identity.models import Member
from vinculo.schemas import PROBLEM_RESPONSES
from vinculo.web.deps import ApiCallerDep, ApiMember, DbSession, database_of
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["account"], responses=PROBLEM_RESPONSES)

ZIP_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        "description": "A ZIP of JSON and CSV files, with a README.txt saying what each holds.",
    }
}


@router.get("/members/me/export", response_class=Response, responses=ZIP_RESPONSE)
def export_my_data(me: ApiMember, request: Request) -> Response:
    """Everything the product holds about you, as a ZIP of JSON and CSV files: profile,
    positions, education, connections with your own tier and note, invitations, notifications,
    settings, the members you blocked, your security log and sessions."""
    return zip_response(export_of(request, me))


@router.delete("/members/me", status_code=status.HTTP_202_ACCEPTED)
def close_my_account(
    body: AccountClosing, caller: ApiCallerDep, request: Request, db: DbSession
) -> AccountClosedOut:
    """Close your account, after your password (422 naming `password` when it is wrong, counted
    as a failed login): at once you are hidden from everyone, every session and token of yours
    ends, your open invitations are withdrawn and your connections end. Logging in again before
    `erase_after` reopens the account and restores your connections; after it, the account is
    erased. No two-factor code is asked: logging in again, which asks for one, undoes it."""
    closed = service.close_account(
        db, member=caller.member, password=body.password, client_address=client_address(request)
    )
    return AccountClosedOut(closed_at=closed.closed_at, erase_after=closed.erase_after)


def export_of(request: Request, member: Member) -> bytes:
    """The export, read in a unit of work of its own that sees one snapshot for all its
    statements (a GET's statements otherwise each see the latest data). The page uses it too."""
    with database_of(request).unit_of_work(write=False, consistent=True) as db:
        return service.export_member_data(db, member=member)


def zip_response(archive: bytes) -> Response:
    return Response(
        archive,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="vinculo-my-data.zip"'},
    )
