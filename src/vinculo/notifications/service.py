"""Notifications: the one function every area calls to tell a member that something happened
(`notify`), and a member's list of them, unread count and marking them read. Email attaches to
`notify`, the one place a notification is made: it mails the member at once, keeps the
notification for the daily digest (`send_digests`, run by the worker), or not, as the member
chose for its kind. Live delivery will attach there too."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import Database
from vinculo.identity.models import Member
from vinculo.mail import service as mail
from vinculo.network import degrees
from vinculo.network.degrees import MemberView
from vinculo.notifications import repository
from vinculo.notifications.mails import InvitationFacts, Told, digest_letter, letter_for
from vinculo.notifications.models import NotificationKind
from vinculo.pagination import Page, cut_page, decode_cursor
from vinculo.settings import get_settings

log = logging.getLogger(__name__)

# What an area passes so that the mail of a notification about an invitation can show its key
# facts; called only when a mail is written at once.
FactsOf = Callable[[], InvitationFacts]


def notify(
    db: Session,
    *,
    member_id: int,
    kind: NotificationKind,
    actor_id: int,
    invitation_id: int | None = None,
    introduction_id: int | None = None,
    group_id: int | None = None,
    post_id: int | None = None,
    at: datetime | None = None,
    facts: FactsOf | None = None,
    mail_it: bool = True,
) -> None:
    """Tell a member that `actor_id` did something that concerns them (`at`: when it happened,
    now unless said), and mail it as they chose for its kind: now, in the daily digest, or
    never; nothing is mailed across a block. `mail_it` false: a notification placed in the past
    (the demo) is not mailed."""
    now = at or clock.now()
    frequency, mailed_at = "never", None
    if mail_it and kind in mail.CHOOSABLE_KINDS:
        # The two members and the reader's choice in one read; nothing across a block.
        pair, chosen = repository.pair_with_choice(
            db, member_id=member_id, actor_id=actor_id, kind=kind
        )
        if len(pair) == 2:
            frequency = chosen or mail.CHOOSABLE_KINDS[kind]
        if frequency == "immediately":
            _mail_now(db, reader=pair[member_id], actor=pair[actor_id], kind=kind, facts=facts)
            mailed_at = now
    repository.add_notification(
        db,
        member_id=member_id,
        kind=kind,
        actor_id=actor_id,
        invitation_id=invitation_id,
        introduction_id=introduction_id,
        group_id=group_id,
        post_id=post_id,
        now=now,
        for_digest=frequency == "daily",
        mailed_at=mailed_at,
    )


def _mail_now(
    db: Session, *, reader: Member, actor: Member, kind: str, facts: FactsOf | None
) -> None:
    locale = reader.locale or get_settings().default_locale
    told = Told(kind, actor, facts() if facts else None)
    mail.send_mail(
        db,
        to=reader.email,
        letter=letter_for(told, reader=reader, locale=locale),
        kind=kind,
        locale=locale,
        member_id=reader.id,
    )


# The daily digest. A member who chose "daily" for a kind gets its notifications in one mail,
# once the oldest of them has waited a day: so at most one digest a day, and nothing waits
# longer than a day and a sweep.

DIGEST_WAIT = timedelta(days=1)

# Of the notifications waiting for a digest, those about an invitation: the ids of those still
# waiting for the reader's answer (the invitations area, above, says which).
StillAwaiting = Callable[[Session, Collection[int]], Collection[int]]
ABOUT_AN_ANSWER = ("invitation_received", "invitation_reminder")


def send_digests(database: Database, *, still_awaiting: StillAwaiting, batch: int = 200) -> int:
    """Mail their digest to the members whose notifications have waited a day; how many were
    mailed. Each member's is one transaction that claims their notifications and queues the mail:
    two workers running it at once send each digest once."""
    with database.unit_of_work(write=False) as db:
        due = repository.digests_due(db, waiting_since=clock.now() - DIGEST_WAIT, limit=batch)
    mailed = 0
    for member_id in due:
        with database.unit_of_work() as db:
            mailed += send_digest(db, member_id=member_id, still_awaiting=still_awaiting)
    if mailed:
        log.info("daily digests: %s mailed", mailed)
    return mailed


def send_digest(db: Session, *, member_id: int, still_awaiting: StillAwaiting) -> bool:
    """Claim the member's notifications waiting for the digest and mail those still worth
    telling: not an invitation answered, withdrawn or expired since, not a kind the member has
    since stopped, nothing from a member blocked either way."""
    claimed = repository.claim_for_digest(db, member_id=member_id, now=clock.now())
    if not claimed:
        return False
    asked = [n.invitation_id for n in claimed if n.kind in ABOUT_AN_ANSWER and n.invitation_id]
    awaiting = set(still_awaiting(db, asked)) if asked else set()
    stopped = {
        choice.kind
        for choice in mail.preferences_of(db, member_id=member_id)
        if choice.frequency == "never"
    }
    kept = [
        n
        for n in claimed
        if n.kind not in stopped and (n.kind not in ABOUT_AN_ANSWER or n.invitation_id in awaiting)
    ]
    if not kept:
        return False
    found = repository.members_by_id(db, [member_id, *{n.actor_id for n in kept}])
    reader = found[member_id]
    locale = reader.locale or get_settings().default_locale
    mail.send_mail(
        db,
        to=reader.email,
        letter=digest_letter(
            [Told(n.kind, found[n.actor_id]) for n in kept], reader=reader, locale=locale
        ),
        kind=mail.DIGEST,
        locale=locale,
        member_id=reader.id,
    )
    return True


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    actor: MemberView
    invitation_id: int | None
    introduction_id: int | None
    group_id: int | None
    created_at: datetime
    read: bool
    post_id: int | None = None


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
                    introduction_id=notification.introduction_id,
                    group_id=notification.group_id,
                    post_id=notification.post_id,
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
