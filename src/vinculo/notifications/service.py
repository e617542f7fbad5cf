"""Notifications: the one function every area calls to tell a member that something happened
(`notify`), and a member's list of them, unread count and marking them read. Live delivery and
email will attach to `notify`: it is the one place a notification is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.identity.models import Member
from vinculo.network import degrees
from vinculo.network.degrees import MemberView
from vinculo.notifications import repository
from vinculo.notifications.models import NotificationKind
from vinculo.pagination import Page, cut_page, decode_cursor


def notify(
    db: Session,
    *,
    member_id: int,
    kind: NotificationKind,
    actor_id: int,
    invitation_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Tell a member that `actor_id` did something that concerns them (`at`: when it happened,
    now unless said)."""
    repository.add_notification(
        db,
        member_id=member_id,
        kind=kind,
        actor_id=actor_id,
        invitation_id=invitation_id,
        now=at or clock.now(),
    )


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    actor: MemberView
    invitation_id: int | None
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class Notifications:
    page: Page[NotificationView]
    unread: int


def notifications_of(
    db: Session, *, member: Member, cursor: str | None, limit: int
) -> Notifications:
    """The member's notifications, newest first, with how many are unread. Those from a member
    with a block between the two are left out."""
    after = int(decode_cursor(cursor, shape=(int,))[0]) if cursor else None
    rows = repository.notifications_of(db, member_id=member.id, after=after, limit=limit)
    page = cut_page(rows, limit=limit, key=lambda row: (row[0].id,))
    actors = degrees.views_of(db, viewer=member, members=[actor for _, actor in page.items])
    return Notifications(
        page=Page(
            items=[
                NotificationView(
                    id=notification.id,
                    kind=notification.kind,
                    actor=actor,
                    invitation_id=notification.invitation_id,
                    created_at=notification.created_at,
                    read=notification.read_at is not None,
                )
                for (notification, _), actor in zip(page.items, actors, strict=True)
            ],
            next_cursor=page.next_cursor,
        ),
        unread=repository.count_unread(db, member_id=member.id),
    )


def unread_count(db: Session, *, member: Member) -> int:
    return repository.count_unread(db, member_id=member.id)


def mark_all_read(db: Session, *, member: Member) -> None:
    repository.mark_read(db, member_id=member.id, now=clock.now())
