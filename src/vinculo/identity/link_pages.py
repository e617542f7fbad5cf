"""The pages of links mailed to members, and of asking for them: "Forgot your password?", choosing
a new password, claiming an imported account, confirming an address, changing it. A link's page
only shows a form: following a link (a mail scanner does) changes nothing until it is posted."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from vinculo.errors import VinculoError
from vinculo.identity import links, service
from vinculo.identity.api import client_address
from vinculo.identity.schemas import (
    AccountClaim,
    EmailChange,
    EmailConfirmation,
    PasswordByLink,
    PasswordResetRequest,
)
from vinculo.notifications import service as notifications
from vinculo.web.deps import AnyPage, MemberPage, Page
from vinculo.web.forms import FORM_ERROR, FormFields, errors_of, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import SESSION_COOKIE, csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)


@router.get("/forgot-password")
def forgot_password_form(page: AnyPage) -> Response:
    return page.render("identity/forgot_password.html", values={}, errors={}, sent=False)


@router.post("/forgot-password")
def forgot_password(page: AnyPage, fields: FormFields) -> Response:
    """The same answer whether or not the email belongs to a member."""
    asked, errors = parse_form(PasswordResetRequest, fields, gettext=page.gettext)
    if asked is None:
        return page.render(
            "identity/forgot_password.html", status_code=422, values=fields, errors=errors
        )
    links.ask_password_reset(page.db, email=asked.email)
    return page.render("identity/forgot_password.html", values={}, errors={}, sent=True)


@router.get("/reset-password")
def reset_password_form(page: AnyPage, token: str = "") -> Response:
    return page.render("identity/new_password.html", purpose="reset", token=token, errors={})


@router.post("/reset-password")
def reset_password(page: AnyPage, fields: FormFields) -> Response:
    reset, errors = parse_form(PasswordByLink, fields, gettext=page.gettext)
    if reset is not None:
        done = page.attempt(
            lambda: links.set_password_by_link(
                page.db,
                token=reset.token,
                password=reset.new_password,
                purpose="reset_password",
                field="new_password",
            )
        )
        if not isinstance(done, VinculoError):
            notifications.notify(
                page.db, member_id=done.id, kind="password_changed", actor_id=done.id
            )
            return page.render("identity/link_done.html", done="password_reset")
        errors = errors_of(done, gettext=page.gettext)
    return _new_password_again(page, "reset", fields, errors)


@router.get("/claim")
def claim_form(page: AnyPage, token: str = "") -> Response:
    return page.render("identity/new_password.html", purpose="claim", token=token, errors={})


@router.post("/claim")
def claim(page: AnyPage, request: Request, fields: FormFields) -> Response:
    """The account is the member's once they chose a password: they are logged in at once."""
    claimed, errors = parse_form(
        AccountClaim,
        {"token": fields.get("token", ""), "password": fields.get("new_password", "")},
        gettext=page.gettext,
    )
    if claimed is not None:
        member = page.attempt(
            lambda: links.set_password_by_link(
                page.db,
                token=claimed.token,
                password=claimed.password,
                purpose="claim_account",
                field="new_password",
            )
        )
        if not isinstance(member, VinculoError):
            client = service.Client(client_address(request), request.headers.get("user-agent", ""))
            token = service.first_session(page.db, member=member, client=client)
            page.set_cookie(SESSION_COOKIE, token, max_age=service.idle_lifetime_seconds())
            return page.redirect("/profile/edit?welcome=1")
        errors = errors_of(member, gettext=page.gettext)
    errors = {
        ("new_password" if key == "password" else key): value for key, value in errors.items()
    }
    return _new_password_again(page, "claim", fields, errors)


def _new_password_again(
    page: Page, purpose: str, fields: FormFields, errors: dict[str, str]
) -> Response:
    if "token" in errors:
        errors = {FORM_ERROR: errors.pop("token"), **errors}
    return page.render(
        "identity/new_password.html",
        status_code=422,
        purpose=purpose,
        token=str(fields.get("token", "")),
        errors=errors,
    )


@router.get("/confirm-email")
def confirm_email_form(page: AnyPage, token: str = "") -> Response:
    return page.render("identity/confirm_email.html", token=token, errors={})


@router.post("/confirm-email")
def confirm_email(page: AnyPage, fields: FormFields) -> Response:
    confirmation, errors = parse_form(EmailConfirmation, fields, gettext=page.gettext)
    if confirmation is not None:
        done = page.attempt(lambda: links.confirm_email(page.db, token=confirmation.token))
        if not isinstance(done, VinculoError):
            changed = "email_changed" if done.changed_from else "email_confirmed"
            return page.render("identity/link_done.html", done=changed, email=done.member.email)
        errors = errors_of(done, gettext=page.gettext)
    if "token" in errors:
        errors = {FORM_ERROR: errors.pop("token"), **errors}
    return page.render(
        "identity/confirm_email.html",
        status_code=422,
        token=str(fields.get("token", "")),
        errors=errors,
    )


@router.post("/settings/confirm-email")
def resend_confirmation(page: MemberPage) -> Response:
    links.send_confirmation(page.db, member=page.member)
    return page.redirect("/settings?saved=confirmation-sent")


@router.post("/settings/email-address")
def change_email(page: MemberPage, request: Request, fields: FormFields) -> Response:
    change, errors = parse_form(EmailChange, fields, gettext=page.gettext)
    refusal = None
    if change is not None:
        asked = page.attempt(lambda: _ask_email_change(page, request, change))
        if not isinstance(asked, VinculoError):
            return page.redirect("/settings?saved=email-change-sent")
        refusal, errors = asked, errors_of(asked, gettext=page.gettext)
    return page.render_refused(
        "identity/settings.html",
        refusal,
        errors={},
        email_errors=errors,
        email_values={"new_email": fields.get("new_email", "")},
        saved=None,
    )


def _ask_email_change(page: Page, request: Request, change: EmailChange) -> None:
    service.prove_password(
        page.db,
        member=page.member,
        password=change.password,
        client_address=client_address(request),
    )
    links.ask_email_change(page.db, member=page.member, new_email=change.new_email)
