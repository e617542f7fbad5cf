"""My account as a whole: the export of everything the product holds about me, closing the
account (at once, in one transaction), reopening it by logging in within the grace period, and
erasing it after (ADR 0016). It reads from every area below it and writes through their
services: identity marks the account closed and ends its sessions, invitations withdraws what
is open, network ends the connections through its change log."""

from __future__ import annotations

import csv
import io
import json
import logging
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.account import repository
from vinculo.db import Database, lock_members
from vinculo.groups import service as groups
from vinculo.identity import closing, two_factor
from vinculo.identity import service as identity
from vinculo.identity.models import Member
from vinculo.introductions import service as introductions
from vinculo.invitations import service as invitations
from vinculo.invitations.models import Invitation, InvitationStatus
from vinculo.mail import service as mail_service
from vinculo.network import service as network
from vinculo.photos import service as photos
from vinculo.privacy import service as privacy
from vinculo.settings import get_settings

log = logging.getLogger(__name__)


# Closing, reopening, erasing


@dataclass(frozen=True)
class ClosedAccount:
    closed_at: datetime
    erase_after: datetime


def close_account(
    db: Session, *, member: Member, password: str, client_address: str
) -> ClosedAccount:
    """Close the member's account at once, after their password (422 naming `password` when it
    is wrong, counted as a failed login; 409 when a racing request closed it first): hidden
    from everyone, logged out everywhere, the invitations it sent and received withdrawn, its
    connections ended (kept for the grace period, to be restored on reopening). Erased after
    the grace period unless the member logs in again."""
    identity.prove_password(db, member=member, password=password, client_address=client_address)
    closed_at = closing.close_account(db, member=member, client_address=client_address)
    # After the account's login lock (taken with the password) and before reading anything
    # between this member and others: an invitation being accepted or a connection being made
    # with them either committed before (and is ended here) or waits and finds them closed.
    lock_members(db, (member.id,))
    invitations.withdraw_all_of(db, member_id=member.id, now=closed_at)
    introductions.close_all_of(db, member_id=member.id, now=closed_at)
    # Their places in groups stay (a closed member is hidden from every list), but the groups
    # they own pass to someone who can run them (ADR 0019).
    groups.hand_over_groups_of(db, member=member)
    ended = network.end_connections_of(db, member_ids=[member.id], now=closed_at)
    repository.keep_connections(db, member_id=member.id, connections=ended)
    return ClosedAccount(closed_at, closing.erase_after(closed_at))


def restore_connections(db: Session, *, member: Member) -> int:
    """After a login reopened the account (`LoggedIn.reopened`): the connections closing it
    ended, restored with both sides' tiers and notes, except with members who have closed
    their own account or with a block between them since; how many."""
    partners = repository.kept_partners(db, member_id=member.id)
    if not partners:
        return 0
    lock_members(db, (member.id, *partners))
    # Read again under the lock: a block or a closing committed while we waited is seen.
    restorable = repository.restorable_connections(db, member_id=member.id)
    repository.forget_kept_connections(db, member_id=member.id)
    return network.restore_connections(db, restorable, now=clock.now())


def erase_closed_accounts(db: Session, *, now: datetime) -> int:
    """Erase the accounts closed longer ago than the grace period: their connections ended (the
    graph index learns it, should any have been made since), then the member and everything
    that cascades from them (ADR 0016, docs/privacy.md); how many."""
    due = closing.due_for_erasure(db, now=now)
    if not due.member_ids:
        return 0
    network.end_connections_of(db, member_ids=due.member_ids, now=now)
    erased = closing.erase_members(db, due=due)
    groups.forget_groups_without_members(db)
    log.info("erased %d closed accounts", erased)
    return erased


def erase_days() -> int:
    return get_settings().account_erase_days


def erase_due_accounts(database: Database) -> int:
    """The worker's job: erase the accounts past their grace period, in one transaction."""
    with database.unit_of_work() as db:
        return erase_closed_accounts(db, now=clock.now())


# Export


EXPORT_README = """\
Everything Vínculo holds about you, exported on {exported_at} (UTC).

Each list is given twice, as JSON (for programs) and CSV (for spreadsheets), with the same
columns. Times are in UTC, ISO 8601. Other members appear only by their id and name.

profile.json          your profile: name, email, headline, location, sector, about, language,
                      when you joined
settings.json         your privacy settings (who can invite you, who sees your connections),
                      your language, whether two-factor sign-in is on, which emails you get
photo.webp            your profile photo, if you have one
positions.*           the positions on your profile
education.*           the education on your profile
connections.*         your connections: who, since when, and YOUR private tier and note for
                      each (the other member's tier and note about you are theirs, not here)
invitations.*         the invitations you sent and received, with their status as you see it
introductions.*       the introductions you asked for, or were asked to make, with the
                      messages and notes and their status as you see it
notifications.*       your notifications
blocks.*              the members you blocked
security_events.*     your security log: logins, failed logins, password and two-factor
                      changes, ended sessions, blocks, reports, closing and reopening
sessions.*            your sessions and API tokens (never the tokens themselves, which are
                      stored only as a hash)
mails.*               the emails Vínculo wrote to you: kind, address, when written and sent
                      (not their text, whose links may still work)

In the CSV files, a text that begins with =, +, - or @ has a ' put before it, so that a
spreadsheet shows it rather than running it as a formula.

What the product keeps, for how long, and why: docs/privacy.md of the Vínculo source.
"""


# The columns of each list, in order (a CSV file has its header even when it has no rows).
EXPORT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "positions": (
        "id",
        "title",
        "organization",
        "start_year",
        "start_month",
        "end_year",
        "end_month",
    ),
    "education": ("id", "school", "degree", "start_year", "start_month", "end_year", "end_month"),
    "connections": ("member_id", "name", "connected_at", "my_tier", "my_note"),
    "invitations": (
        "id",
        "direction",
        "member_id",
        "name",
        "note",
        "status",
        "sent_at",
        "expires_at",
        "closed_at",
        "reported_by_me",
    ),
    "introductions": (
        "id",
        "my_part",
        "requester_id",
        "requester_name",
        "introducer_id",
        "introducer_name",
        "passed_to_id",
        "passed_to_name",
        "target_id",
        "target_name",
        "message",
        "pass_note",
        "note",
        "status",
        "asked_at",
    ),
    "notifications": (
        "id",
        "kind",
        "about_member_id",
        "about_member_name",
        "invitation_id",
        "created_at",
        "read_at",
    ),
    "blocks": ("member_id", "name", "blocked_at"),
    "security_events": ("id", "kind", "occurred_at", "client_address", "detail"),
    "sessions": (
        "id",
        "kind",
        "created_at",
        "last_seen_at",
        "expires_at",
        "user_agent",
        "client_address",
    ),
    "mails": ("id", "kind", "to", "written_at", "sent_at", "failed_at"),
}


def export_member_data(db: Session, *, member: Member) -> bytes:
    """A ZIP of JSON and CSV files with everything the product holds about the member (see
    EXPORT_README): one statement for each kind of data, whatever its number of rows. Run it in
    a consistent unit of work, so that every file sees the same moment."""
    now = clock.now()
    me = repository.member_by_id(db, member.id)
    if me is None:
        raise privacy.MemberNotFound()
    settings = privacy.privacy_settings(db, member=me)
    files: dict[str, Any] = {
        "profile.json": {
            "id": me.id,
            "name": me.name,
            "email": me.email,
            "headline": me.headline,
            "location": me.location,
            "sector": me.sector,
            "about": me.about,
            "language": me.locale,
            "email_confirmed_at": me.email_confirmed_at,
            "photo": "photo.webp" if me.photo_version is not None else None,
            "joined_at": me.created_at,
            "updated_at": me.updated_at,
        },
        "settings.json": {
            "who_can_invite": settings.who_can_invite,
            "connections_visible_to": settings.connections_visible_to,
            "language": me.locale,
            "two_factor_sign_in": two_factor.is_on(db, member=me),
            "emails": {
                choice.kind: choice.frequency
                for choice in mail_service.preferences_of(db, member_id=me.id)
            },
        },
    }
    lists: dict[str, list[dict[str, Any]]] = {
        "positions": [
            {
                "id": position.id,
                "title": position.title,
                "organization": position.organization.name,
                "start_year": position.start_year,
                "start_month": position.start_month,
                "end_year": position.end_year,
                "end_month": position.end_month,
            }
            for position in repository.positions_of(db, member_id=me.id)
        ],
        "education": [
            {
                "id": study.id,
                "school": study.school.name,
                "degree": study.degree,
                "start_year": study.start_year,
                "start_month": study.start_month,
                "end_year": study.end_year,
                "end_month": study.end_month,
            }
            for study in repository.education_of(db, member_id=me.id)
        ],
        "connections": [
            {
                "member_id": other.id,
                "name": other.name,
                "connected_at": connection.created_at,
                "my_tier": connection.side_of(me.id)[0],
                "my_note": connection.side_of(me.id)[1],
            }
            for connection, other in repository.connections_of(db, member_id=me.id)
        ],
        "invitations": [
            _invitation_row(invitation, other, me_id=me.id, now=now)
            for invitation, other in repository.invitations_of(db, member_id=me.id)
        ],
        "introductions": [
            {
                "id": view.introduction.id,
                "my_part": view.role,
                "requester_id": view.requester.member.id,
                "requester_name": view.requester.member.name,
                "introducer_id": view.introducer.member.id,
                "introducer_name": view.introducer.member.name,
                "passed_to_id": view.via.member.id if view.via else None,
                "passed_to_name": view.via.member.name if view.via else None,
                "target_id": view.target.member.id,
                "target_name": view.target.member.name,
                "message": view.introduction.message,
                "pass_note": view.pass_note,
                "note": view.introduction.note,
                "status": str(view.status),
                "asked_at": view.introduction.created_at,
            }
            for view in introductions.introductions_taking_part(db, member=me)
        ],
        "notifications": [
            {
                "id": notification.id,
                "kind": notification.kind,
                "about_member_id": actor.id,
                "about_member_name": actor.name,
                "invitation_id": notification.invitation_id,
                "created_at": notification.created_at,
                "read_at": notification.read_at,
            }
            for notification, actor in repository.notifications_of(db, member_id=me.id)
        ],
        "blocks": [
            {"member_id": blocked.id, "name": blocked.name, "blocked_at": block.created_at}
            for block, blocked in repository.blocks_made_by(db, member_id=me.id)
        ],
        "security_events": [
            {
                "id": event.id,
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "client_address": event.client_address,
                "detail": event.detail,
            }
            for event in repository.security_events_of(db, member_id=me.id)
        ],
        "sessions": [
            {
                "id": row.id,
                "kind": row.kind,
                "created_at": row.created_at,
                "last_seen_at": row.last_seen_at,
                "expires_at": row.expires_at,
                "user_agent": row.user_agent,
                "client_address": row.client_address,
            }
            for row in repository.sessions_of(db, member_id=me.id)
        ],
        # What was mailed to the member, without subjects or bodies: they hold links that may
        # still work, and names of members who may have blocked them since.
        "mails": [
            {
                "id": mail.id,
                "kind": mail.kind,
                "to": mail.to_address,
                "written_at": mail.created_at,
                "sent_at": mail.sent_at,
                "failed_at": mail.failed_at,
            }
            for mail in mail_service.mails_of(db, member_id=me.id)
        ],
    }
    images = {}
    if me.photo_version is not None:
        images["photo.webp"] = photos.photo_image(
            db, viewer=me, member_id=me.id, version=me.photo_version, size=photos.LARGE
        )
    return _zip(now, files, lists, images)


def _invitation_row(
    invitation: Invitation, other: Member, *, me_id: int, now: datetime
) -> dict[str, Any]:
    """An invitation as its member sees it: an ignore stays silent to its sender (pending, no
    answer time), and whether it was reported is told only to the one who reported it."""
    sent = invitation.sender_id == me_id
    status = invitations.status_seen_by(invitation, viewer_id=me_id, now=now)
    closed_at = None
    if status != InvitationStatus.PENDING:
        closed_at = invitation.closed_at or invitation.expires_at
    return {
        "id": invitation.id,
        "direction": "sent" if sent else "received",
        "member_id": other.id,
        "name": other.name,
        "note": invitation.note,
        "status": str(status),
        "sent_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "closed_at": closed_at,
        "reported_by_me": None if sent else invitation.reported,
    }


def _zip(
    now: datetime,
    files: Mapping[str, Any],
    lists: Mapping[str, Sequence[Mapping[str, Any]]],
    images: Mapping[str, bytes],
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", EXPORT_README.format(exported_at=now.isoformat()))
        for name, content in files.items():
            archive.writestr(name, _json(content))
        for name, rows in lists.items():
            archive.writestr(f"{name}.json", _json(list(rows)))
            archive.writestr(f"{name}.csv", _csv(EXPORT_COLUMNS[name], rows))
        for name, image in images.items():
            archive.writestr(name, image)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _json(content: Any) -> str:
    if isinstance(content, Mapping):
        content = {key: _plain(value) for key, value in content.items()}
    else:
        content = [{key: _plain(value) for key, value in row.items()} for row in content]
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"


def _csv(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return _plain(value)
