"""Where a member's photo is served: the address every representation of a member carries."""

from __future__ import annotations

from vinculo.identity.models import Member
from vinculo.photos.service import LARGE

PHOTO_PATH = "/photos/{member_id}/{version}/{size}.webp"


def photo_url(member: Member, size: int = LARGE) -> str | None:
    """The address of one size of the member's photo; None without one (show their initial).
    It changes with the photo, so what it serves may be kept for good."""
    if member.photo_version is None:
        return None
    return PHOTO_PATH.format(member_id=member.id, version=member.photo_version, size=size)
