"""The email preferences API: how a member gets each kind of email."""

from __future__ import annotations

from fastapi import APIRouter

from vinculo.mail import service
from vinculo.mail.schemas import MailPreferenceOut, MailPreferences, MailPreferencesUpdate
from vinculo.schemas import PROBLEM_RESPONSES
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["email"], responses=PROBLEM_RESPONSES)


@router.get("/members/me/email-preferences")
def get_email_preferences(me: ApiMember, db: DbSession) -> MailPreferences:
    """Each kind of email you may choose, and how you get it: immediately, in the daily digest
    or never."""
    choices = service.preferences_of(db, member_id=me.id)
    return MailPreferences(items=[MailPreferenceOut.of(choice) for choice in choices])


@router.patch("/members/me/email-preferences")
def update_email_preferences(
    body: MailPreferencesUpdate, me: ApiMember, db: DbSession
) -> MailPreferences:
    choices = service.choose_all(db, member_id=me.id, frequencies=body.choices())
    return MailPreferences(items=[MailPreferenceOut.of(choice) for choice in choices])
