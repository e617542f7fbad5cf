"""The photos API: setting and removing your profile photo. Photos themselves are served at the
address each member's `photo_url` gives (`photos/pages.py`), to pages and API clients alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status

from vinculo.photos import service
from vinculo.profiles import service as profiles
from vinculo.profiles.schemas import MyProfile
from vinculo.schemas import PROBLEM_RESPONSES, Problem
from vinculo.web.deps import ApiMember, DbSession
from vinculo.web.routing import UnitRoute

router = APIRouter(route_class=UnitRoute, tags=["profiles"], responses=PROBLEM_RESPONSES)


@dataclass(frozen=True)
class Upload:
    """A request's body, as it came, and the media type it says it is."""

    content: bytes
    declared_type: str | None


async def _upload(request: Request) -> Upload:
    # The body is bounded before it is read (`web.limits.BodyLimit`, at the photo's own limit).
    return Upload(await request.body(), request.headers.get("content-type"))


_PHOTO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The image itself: JPEG, PNG or WebP, at most 5 MB (a setting). Its "
        "content decides what it is: a Content-Type that says otherwise is refused.",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in service.ACCEPTED_MEDIA_TYPES
        },
    }
}
_PHOTO_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}}
    for code in (status.HTTP_413_CONTENT_TOO_LARGE, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
}


@router.put("/members/me/photo", openapi_extra=_PHOTO_BODY, responses=_PHOTO_PROBLEMS)
def set_my_photo(
    upload: Annotated[Upload, Depends(_upload)], me: ApiMember, db: DbSession
) -> MyProfile:
    """Set your profile photo: it is cropped to a centred square, resized, and stored again
    without its metadata (GPS position, camera). 413 when larger than allowed; 415 when the
    Content-Type is not image/jpeg, image/png or image/webp; 422 naming `body` when the body is
    not an image of that type, is damaged, or has too many pixels. A refusal changes nothing."""
    service.set_photo(
        db, member=me, image=upload.content, declared_type=upload.declared_type, field="body"
    )
    return MyProfile.of_own(profiles.view_profile(db, viewer=me, member_id=me.id))


@router.delete("/members/me/photo", status_code=status.HTTP_204_NO_CONTENT)
def remove_my_photo(me: ApiMember, db: DbSession) -> Response:
    """Remove your profile photo: your initial is shown again."""
    service.remove_photo(db, member=me)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
