"""Closing an account, and erasing it once its grace period is over (ADR 0016): identity's part
of it (the account marked closed, its sessions ended, logged; the rows deleted). The account area
does the rest (invitations, connections) and asks for the password first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.errors import N_, Conflict
from vinculo.identity import repository
from vinculo.identity.models import Member
from vinculo.search import service as search
from vinculo.security.service import record_security_event
from vinculo.settings import get_settings


class AccountClosed(Conflict):
    slug = "account-closed"
    title = N_("Account closed")
    default_detail = N_("This account is closed already.")


def close_account(db: Session, *, member: Member, client_address: str) -> datetime:
    """Once the member proved it is them (`service.prove_password`; with two-factor sign-in on no
    code is asked, as logging in again undoes it, ADR 0016): the account marked closed, every
    session and token ended, and logged. 409 when it was closed already (a racing request).
    Returns the time it was closed."""
    now = clock.now()
    if not repository.close_member(db, member_id=member.id, at=now):
        raise AccountClosed()
    repository.delete_sessions_of(db, member_id=member.id)
    search.set_listed(db, member_id=member.id, listed=False)
    record_security_event(
        db, member_id=member.id, kind="account_closed", client_address=client_address
    )
    return now


def erase_after(closed_at: datetime) -> datetime:
    """When a closed account is erased, unless its member logs in again before."""
    return closed_at + timedelta(days=get_settings().account_erase_days)


def may_log_in(member: Member, *, now: datetime) -> bool:
    """Open, or closed and still within the grace period (logging in reopens it)."""
    return member.closed_at is None or erase_after(member.closed_at) > now


@dataclass(frozen=True)
class DueForErasure:
    """The accounts closed before `closed_before`, past their grace period."""

    member_ids: tuple[int, ...]
    emails: tuple[str, ...]
    closed_before: datetime


def due_for_erasure(db: Session, *, now: datetime) -> DueForErasure:
    """The accounts closed longer ago than the grace period, due to be erased."""
    closed_before = now - timedelta(days=get_settings().account_erase_days)
    found = repository.members_closed_before(db, before=closed_before)
    return DueForErasure(
        tuple(member_id for member_id, _ in found),
        tuple(email for _, email in found),
        closed_before,
    )


def erase_members(db: Session, *, due: DueForErasure) -> int:
    """Delete these accounts, with what cascades from them (ADR 0016), and the failed logins of
    their emails, which are free to register again; only those still closed (a login may have
    reopened one meanwhile). How many were erased. The caller ended their connections first,
    so that the graph index learns of it."""
    if not due.member_ids:
        return 0
    return repository.delete_closed_members(
        db, member_ids=due.member_ids, emails=due.emails, closed_before=due.closed_before
    )
