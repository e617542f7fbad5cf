"""The SQL of profile photos."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vinculo.identity.models import Member
from vinculo.photos.models import MemberPhoto


def replace_photo(db: Session, *, member: Member, photo: MemberPhoto) -> None:
    """Make `photo` the member's photo, in place of any other. The member's row is written first,
    which locks it: two uploads at once take turns, the later one replacing the earlier."""
    member.photo_version = photo.version
    db.flush()
    db.execute(delete(MemberPhoto).where(MemberPhoto.member_id == member.id))
    db.add(photo)
    db.flush()


def remove_photo(db: Session, *, member: Member) -> None:
    member.photo_version = None
    db.flush()
    db.execute(delete(MemberPhoto).where(MemberPhoto.member_id == member.id))


def photo_image(db: Session, *, member_id: int, version: str, large: bool) -> bytes | None:
    """One size of the member's photo, if it is still the one of that version."""
    column = MemberPhoto.large if large else MemberPhoto.small
    found: bytes | None = db.scalar(
        select(column).where(MemberPhoto.member_id == member_id, MemberPhoto.version == version)
    )
    return found
