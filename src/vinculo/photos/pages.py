"""Photo routes outside the API: serving a member's photo (to pages by the session cookie, to API
clients by their bearer token), and the profile form's upload and removal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from vinculo.errors import N_, VinculoError
from vinculo.photos import service
from vinculo.photos.schemas import PHOTO_PATH
from vinculo.profiles.pages import render_edit_form
from vinculo.schemas import PathId
from vinculo.web.deps import AnyCallerUnit, MemberPage
from vinculo.web.forms import errors_of
from vinculo.web.routing import UnitRoute
from vinculo.web.security import csrf_protect

router = APIRouter(
    route_class=UnitRoute, dependencies=[Depends(csrf_protect)], include_in_schema=False
)

# A photo's address changes with the photo: a browser may keep what it serves for good, a shared
# cache never (it is for the members who may see its owner).
PHOTO_CACHE_CONTROL = "private, max-age=31536000, immutable"
PHOTO_FIELD = "photo"


@router.get(PHOTO_PATH)
def photo(
    member_id: PathId, version: str, size: int, unit: AnyCallerUnit, request: Request
) -> Response:
    """One size of a member's photo, for a signed-in member who may see them; 404 for anyone
    else, a visitor included, as for a photo that does not exist."""
    if unit.signed is None:
        raise service.PhotoNotFound()
    image = service.photo_image(
        unit.db, viewer=unit.signed.member, member_id=member_id, version=version, size=size
    )
    etag = f'"{version}-{size}"'
    headers = {
        "Cache-Control": PHOTO_CACHE_CONTROL,
        "ETag": etag,
        # Only this site's pages show it.
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(image, media_type=service.SERVED_MEDIA_TYPE, headers=headers)


async def _posted_photo(request: Request) -> bytes:
    """The file sent in the form's photo field; empty when none was chosen. The body is bounded
    before it is read (`web.limits.BodyLimit`, at the photo's own limit)."""
    form = await request.form()
    upload = form.get(PHOTO_FIELD)
    if not isinstance(upload, UploadFile):
        return b""
    return await upload.read()


@router.post("/profile/photo")
def upload_photo(page: MemberPage, image: Annotated[bytes, Depends(_posted_photo)]) -> Response:
    """Set the photo from the profile form. The file's content decides what it is, never its
    name nor the type the browser guessed from it."""
    if not image:
        errors = {PHOTO_FIELD: page.gettext(N_("Choose a photo to upload."))}
        return render_edit_form(page, errors={}, photo_errors=errors, status_code=422)
    try:
        # Checked before the write begins: a refusal has nothing to undo.
        prepared = service.prepare_photo(image, declared_type=None, field=PHOTO_FIELD)
    except VinculoError as refused:
        errors = errors_of(refused, gettext=page.gettext)
        return render_edit_form(page, errors={}, photo_errors=errors, status_code=refused.status)
    service.store_photo(page.db, member=page.member, photo=prepared)
    return page.redirect("/profile/edit#photo")


@router.post("/profile/photo/delete")
def remove_photo(page: MemberPage) -> Response:
    service.remove_photo(page.db, member=page.member)
    return page.redirect("/profile/edit#photo")
