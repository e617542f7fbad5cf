"""Account pages: downloading my data and closing my account, from the settings page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from vinculo.account import service
from vinculo.account.api import export_of, zip_response
from vinculo.account.schemas import AccountClosing
from vinculo.errors import VinculoError
from vinculo.identity.api import client_address
from vinculo.web.deps import AnyPage, MemberPage
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import SESSION_COOKIE, csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/settings/my-data")
def download_my_data(page: MemberPage, request: Request) -> Response:
    return page.finish(zip_response(export_of(request, page.member)))


@router.post("/settings/close-account")
def close_my_account(page: MemberPage, request: Request, fields: FormFields) -> Response:
    closing, errors = parse_form(AccountClosing, fields, gettext=page.gettext)
    refusal = None
    if closing is not None:
        # A wrong password is shown here, and stays counted as a failed login.
        closed = page.attempt(
            lambda: service.close_account(
                page.db,
                member=page.member,
                password=closing.password,
                client_address=client_address(request),
            )
        )
        if not isinstance(closed, VinculoError):
            page.set_cookie(SESSION_COOKIE, None)
            return page.redirect("/account-closed")
        refusal, errors = closed, errors_of(closed, gettext=page.gettext)
    return page.render_refused(
        "identity/settings.html", refusal, errors={}, close_errors=errors, saved=None
    )


@router.get("/account-closed")
def account_closed(page: AnyPage) -> HTMLResponse:
    return page.render("account/closed.html", erase_days=service.erase_days())
