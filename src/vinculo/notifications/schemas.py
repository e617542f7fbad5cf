"""The notifications API's output."""

from __future__ import annotations

from datetime import datetime

from vinculo.network.schemas import MemberSummary
from vinculo.notifications.models import NotificationKind
from vinculo.notifications.service import Notifications, NotificationView
from vinculo.schemas import Output


class NotificationOut(Output):
    id: int
    kind: NotificationKind
    actor: MemberSummary
    invitation_id: int | None
    introduction_id: int | None
    group_id: int | None
    post_id: int | None
    created_at: datetime
    read: bool

    @classmethod
    def of(cls, view: NotificationView) -> NotificationOut:
        return cls(
            id=view.id,
            kind=view.kind,
            actor=MemberSummary.of(view.actor),
            invitation_id=view.invitation_id,
            introduction_id=view.introduction_id,
            group_id=view.group_id,
            post_id=view.post_id,
            created_at=view.created_at,
            read=view.read,
        )


class NotificationPage(Output):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int

    @classmethod
    def of(cls, found: Notifications) -> NotificationPage:
        return cls(
            items=[NotificationOut.of(view) for view in found.page.items],
            next_cursor=found.page.next_cursor,
            unread=found.unread,
        )
