"""Profile pages: a member's profile, editing your own, its positions and education."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from vinculo.errors import VinculoError
from vinculo.groups import service as groups
from vinculo.invitations.relationship import relationship_with
from vinculo.posts import feed
from vinculo.posts.models import REACTION_KINDS
from vinculo.profiles import service
from vinculo.profiles.schemas import CareerEntryIn, EducationIn, PositionIn, ProfileUpdate
from vinculo.profiles.service import CAREERS, CareerKind
from vinculo.schemas import PathId
from vinculo.settings import get_settings
from vinculo.web.deps import MemberPage, Page
from vinculo.web.forms import FormFields, errors_of, parse_form
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

_ENTRY_FORMS: dict[CareerKind, type[CareerEntryIn]] = {
    "positions": PositionIn,
    "education": EducationIn,
}
_PROFILE_FORM_FIELDS = ("name", "headline", "location", "sector", "about")


@router.get("/members/{member_id}")
def profile(member_id: PathId, page: MemberPage) -> Response:
    view = service.view_profile(page.db, viewer=page.member, member_id=member_id)
    others = page.member.id != member_id
    return page.render(
        "profiles/profile.html",
        profile=view,
        relationship=relationship_with(page.db, viewer=page.member, member_id=member_id),
        activity=feed.activity_of(page.db, viewer=page.member, member_id=member_id),
        reaction_kinds=REACTION_KINDS,
        done=page.request.query_params.get("done"),
        shared_groups=(
            groups.shared_groups(page.db, member=page.member, others=[member_id]).get(member_id, [])
            if others
            else []
        ),
        groups_to_invite_to=(
            groups.groups_administered_by(page.db, member=page.member) if others else []
        ),
    )


@router.get("/profile")
def my_profile(page: MemberPage) -> Response:
    return page.redirect(f"/members/{page.member.id}")


@router.get("/profile/edit")
def edit_profile_form(page: MemberPage) -> Response:
    return render_edit_form(page, errors={})


@router.post("/profile/edit")
def edit_profile(page: MemberPage, fields: FormFields) -> Response:
    update, errors = parse_form(
        ProfileUpdate, fields, gettext=page.gettext, only=_PROFILE_FORM_FIELDS
    )
    if update is not None:
        service.update_profile(page.db, member=page.member, changes=update.changes())
        return page.redirect(f"/members/{page.member.id}")
    return render_edit_form(page, values=fields, errors=errors, status_code=422)


@router.get("/profile/{kind}/new")
def new_entry_form(kind: CareerKind, page: MemberPage) -> Response:
    return _render_entry(page, kind=kind, entry_id=None, values={}, errors={})


@router.post("/profile/{kind}/new")
def add_entry(kind: CareerKind, page: MemberPage, fields: FormFields) -> Response:
    career = CAREERS[kind]
    entry, errors = parse_form(
        _ENTRY_FORMS[kind], fields, gettext=page.gettext, blank_is_null=("end",)
    )
    if entry is not None:
        added = page.attempt(
            lambda: service.add_entry(
                page.db,
                member=page.member,
                kind=kind,
                place=getattr(entry, career.place_field),
                label=getattr(entry, career.label_field),
                start=entry.start,
                end=entry.end,
            )
        )
        if not isinstance(added, VinculoError):
            return page.redirect("/profile/edit")
        errors = errors_of(added, gettext=page.gettext)
    return _render_entry(
        page, kind=kind, entry_id=None, values=fields, errors=errors, status_code=422
    )


@router.get("/profile/{kind}/{entry_id}/edit")
def edit_entry_form(kind: CareerKind, entry_id: PathId, page: MemberPage) -> Response:
    career = CAREERS[kind]
    entry = service.entry_of(page.db, member=page.member, kind=kind, entry_id=entry_id)
    period = entry.period
    values = {
        career.place_field: getattr(entry, career.place_field).name,
        career.label_field: getattr(entry, career.label_field),
        "start": str(period.start),
        "end": str(period.end) if period.end else "",
    }
    return _render_entry(page, kind=kind, entry_id=entry_id, values=values, errors={})


@router.post("/profile/{kind}/{entry_id}/edit")
def edit_entry(
    kind: CareerKind, entry_id: PathId, page: MemberPage, fields: FormFields
) -> Response:
    # Someone else's entry is not found, rather than a form to correct.
    service.entry_of(page.db, member=page.member, kind=kind, entry_id=entry_id)
    entry, errors = parse_form(
        _ENTRY_FORMS[kind], fields, gettext=page.gettext, blank_is_null=("end",)
    )
    if entry is not None:
        changes = {field: getattr(entry, field) for field in type(entry).model_fields}
        updated = page.attempt(
            lambda: service.update_entry(
                page.db, member=page.member, kind=kind, entry_id=entry_id, changes=changes
            )
        )
        if not isinstance(updated, VinculoError):
            return page.redirect("/profile/edit")
        errors = errors_of(updated, gettext=page.gettext)
    return _render_entry(
        page, kind=kind, entry_id=entry_id, values=fields, errors=errors, status_code=422
    )


@router.post("/profile/{kind}/{entry_id}/delete")
def remove_entry(kind: CareerKind, entry_id: PathId, page: MemberPage) -> Response:
    service.remove_entry(page.db, member=page.member, kind=kind, entry_id=entry_id)
    return page.redirect("/profile/edit")


def render_edit_form(
    page: Page,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str],
    photo_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page editing your profile (its fields as stored unless `values` are given), with
    the errors of the form just sent: the profile's own, or its photo's (`photos/pages.py`)."""
    member = page.member
    if values is None:
        values = {field: getattr(member, field) for field in _PROFILE_FORM_FIELDS}
    return page.render(
        "profiles/edit.html",
        status_code=status_code,
        values=values,
        errors=errors,
        photo_errors=photo_errors or {},
        photo_megabytes=f"{get_settings().max_photo_bytes / 1024 / 1024:g}",
        positions=service.entries_of(page.db, member=member, kind="positions"),
        education=service.entries_of(page.db, member=member, kind="education"),
        welcome=page.request.query_params.get("welcome") == "1",
    )


def _render_entry(
    page: Page,
    *,
    kind: CareerKind,
    entry_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return page.render(
        "profiles/entry_form.html",
        status_code=status_code,
        kind=kind,
        entry_id=entry_id,
        place_field=CAREERS[kind].place_field,
        label_field=CAREERS[kind].label_field,
        values=values,
        errors=errors,
    )
