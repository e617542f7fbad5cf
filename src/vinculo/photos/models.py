"""The table of profile photos: each member's current photo, re-encoded, in every size shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base, Id
from vinculo.identity.models import PHOTO_VERSION_LENGTH


class MemberPhoto(Base):
    """A member's photo as the product serves it: WebP squares, free of the upload's metadata.
    Kept in the database (ADR 0015): backed up with it, the same for every process, on SQLite
    and PostgreSQL alike. `version` is `member.photo_version`, which the addresses carry."""

    __tablename__ = "member_photo"

    member_id: Mapped[int] = mapped_column(
        Id, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[str] = mapped_column(String(PHOTO_VERSION_LENGTH))
    large: Mapped[bytes] = mapped_column(LargeBinary)
    small: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
