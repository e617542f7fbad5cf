"""The table of request counters that several processes share: how many requests a client made
in the current window of a rate limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vinculo.db import Base

KEY_MAX = 200


class RequestCounter(Base):
    """One client's requests against one limit in the window that ends at `window_end`."""

    __tablename__ = "request_counter"

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    window_end: Mapped[datetime] = mapped_column(index=True)
    hits: Mapped[int]
