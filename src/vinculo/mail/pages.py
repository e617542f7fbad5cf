"""The page a mail's "stop these emails" link opens, and the one-click unsubscribe (RFC 8058)
that mail programs post to the same address."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from vinculo.mail import service
from vinculo.web.deps import AnyPage
from vinculo.web.routing import UnitRoute

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
