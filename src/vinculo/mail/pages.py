"""The page a mail's "stop these emails" link opens, and the one-click unsubscribe (RFC 8058)
that mail programs post to the same address; the email settings page."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.mail import service
from vinculo.mail.schemas import MailPreferencesUpdate
from vinculo.web.deps import AnyPage, MemberPage
from vinculo.web.forms import FormFields, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

# No form token here: the signed address is the credential, and a mail program's one-click post
# carries nothing else.
router = APIRouter(route_class=UnitRoute, include_in_schema=False)


@router.get("/mail/unsubscribe/{token}")
def unsubscribe_form(token: str, page: AnyPage) -> Response:
    """Asks before stopping: a link scanner following the address must not unsubscribe."""
    found = service.read_unsubscribe_token(token)
    return page.render("mail/unsubscribe.html", kind=found.kind, token=token, done=False)


@router.post("/mail/unsubscribe/{token}")
def unsubscribe(token: str, page: AnyPage) -> Response:
    found = service.unsubscribe(page.db, token=token)
    return page.render("mail/unsubscribe.html", kind=found.kind, token=token, done=True)


# The email settings form posts with a form token, as every other form does.
CSRF = [Depends(csrf_protect)]


@router.get("/settings/email", dependencies=CSRF)
def email_settings(page: MemberPage) -> Response:
    choices = service.preferences_of(page.db, member_id=page.member.id)
    return page.render(
        "mail/settings.html",
        values={choice.kind: choice.frequency for choice in choices},
        errors={},
        saved=page.request.query_params.get("saved") == "1",
    )


@router.post("/settings/email", dependencies=CSRF)
def save_email_settings(page: MemberPage, fields: FormFields) -> Response:
    update, errors = parse_form(
        MailPreferencesUpdate, fields, gettext=page.gettext, only=service.CHOOSABLE_KINDS
    )
    if update is not None:
        service.choose_all(page.db, member_id=page.member.id, frequencies=update.choices())
        return page.redirect("/settings/email?saved=1")
    return page.render(
        "mail/settings.html", status_code=422, values=fields, errors=errors, saved=False
    )
