"""The words of the notification emails, one letter per kind and the daily digest, in the
reader's language. What they say comes from the notification and, for an invitation, the facts
its area gathered (`InvitationFacts`); nothing here reads the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vinculo.errors import N_
from vinculo.i18n import format_day
from vinculo.identity.models import Member
from vinculo.mail.composing import Action, Letter, greeting, language
from vinculo.mail.service import link

# Where a mail about an invitation sends its reader: the invitations waiting for them.
INVITATIONS_PAGE = "/network"


@dataclass(frozen=True)
class SharedPlaceFact:
    """An organization or school both members were at, and the years they overlapped there
    (`until` None: both still are)."""

    kind: str  # "organization" or "school"
    name: str
    since: int
    until: int | None


@dataclass(frozen=True)
class InvitationFacts:
    """The key facts of an invitation's vetting card, as its recipient may see them: the note,
    the mutual connections (a few named; mutual connections are always visible to the
    recipient, ADR 0011), the places shared, and when it expires."""

    note: str = ""
    expires_at: datetime | None = None
    mutual_count: int = 0
    mutual_names: tuple[str, ...] = ()
    places: tuple[SharedPlaceFact, ...] = ()
    # For a request for an introduction: the member the reader is asked to introduce the actor
    # to (the note is then the actor's message).
    introduce_to: str = ""


@dataclass(frozen=True)
class Told:
    """One notification as a mail tells it."""

    kind: str
    actor: Member
    facts: InvitationFacts | None = None


def letter_for(told: Told, *, reader: Member, locale: str) -> Letter:
    """The mail of one notification, sent at once."""
    words = language(locale)
    _ = words.gettext
    actor = told.actor
    facts = told.facts or InvitationFacts()
    hello = greeting(reader.name, locale=locale)
    if told.kind == "invitation_received":
        said = (
            _(N_("%(name)s, %(headline)s, invited you to connect on Vínculo."))
            if actor.headline
            else _(N_("%(name)s invited you to connect on Vínculo."))
        ) % {"name": actor.name, "headline": actor.headline}
        paragraphs = [said]
        if facts.note:
            paragraphs.append(_(N_("Their note: “%(note)s”")) % {"note": facts.note})
        paragraphs.append(_(N_("What you share:")))
        return Letter(
            subject=_(N_("%(name)s invited you to connect")) % {"name": actor.name},
            greeting=hello,
            paragraphs=tuple(paragraphs),
            facts=_shared(facts, locale),
            action=Action(_(N_("See the invitation")), link(INVITATIONS_PAGE)),
            closing=_(
                N_("Accept only if you know them. If you do not, ignore it: they are not told.")
            ),
        )
    if told.kind == "invitation_reminder":
        paragraphs = [
            _(N_("%(name)s's invitation to connect is still waiting for your answer."))
            % {"name": actor.name}
        ]
        if facts.expires_at is not None:
            paragraphs.append(
                _(N_("It expires on %(day)s.")) % {"day": format_day(facts.expires_at, locale)}
            )
        if facts.note:
            paragraphs.append(_(N_("Their note: “%(note)s”")) % {"note": facts.note})
        return Letter(
            subject=_(N_("%(name)s is waiting for your answer")) % {"name": actor.name},
            greeting=hello,
            paragraphs=tuple(paragraphs),
            action=Action(_(N_("See the invitation")), link(INVITATIONS_PAGE)),
            closing=_(N_("Ignoring it is fine too: they are not told.")),
        )
    if told.kind == "invitation_accepted":
        return Letter(
            subject=_(N_("%(name)s accepted your invitation")) % {"name": actor.name},
            greeting=hello,
            paragraphs=(
                _(N_("%(name)s accepted your invitation: you are now connected."))
                % {"name": actor.name},
            ),
            action=Action(_(N_("See their profile")), link(f"/members/{actor.id}")),
        )
    if told.kind == "introduction_requested":
        values = {"name": actor.name, "target": facts.introduce_to}
        paragraphs = [
            _(N_("%(name)s asks you to introduce them to %(target)s, whom you know.")) % values
        ]
        if facts.note:
            paragraphs.append(_(N_("Their message: “%(note)s”")) % {"note": facts.note})
        if facts.expires_at is not None:
            paragraphs.append(
                _(N_("The request expires on %(day)s."))
                % {"day": format_day(facts.expires_at, locale)}
            )
        return Letter(
            subject=_(N_("%(name)s asks you for an introduction")) % {"name": actor.name},
            greeting=hello,
            paragraphs=tuple(paragraphs),
            action=Action(_(N_("See the request")), link("/introductions?box=to_forward")),
            closing=_(
                N_(
                    "Forward it with a word of your own, or decline: they are told only that "
                    "it was not forwarded."
                )
            ),
        )
    raise ValueError(f"no letter for a notification of kind {told.kind!r}")


def _shared(facts: InvitationFacts, locale: str) -> tuple[str, ...]:
    words = language(locale)
    _ = words.gettext
    lines = []
    if facts.mutual_count:
        count = words.ngettext(
            "%(num)s mutual connection", "%(num)s mutual connections", facts.mutual_count
        ) % {"num": facts.mutual_count}
        names = ", ".join(facts.mutual_names)
        lines.append(f"{count}: {names}" if names else count)
    for place in facts.places:
        years = (
            f"{place.since}–{place.until}"
            if place.until is not None
            else _(N_("%(year)s to now")) % {"year": place.since}
        )
        said = (
            _(N_("You both studied at %(place)s (%(years)s)"))
            if place.kind == "school"
            else _(N_("You both worked at %(place)s (%(years)s)"))
        )
        lines.append(said % {"place": place.name, "years": years})
    if not lines:
        lines.append(_(N_("No mutual connections, and no organization or school in common.")))
    return tuple(lines)


def digest_letter(told: Sequence[Told], *, reader: Member, locale: str) -> Letter:
    """The daily digest: what happened since the last one, one line each, oldest first."""
    words = language(locale)
    _ = words.gettext
    lines = []
    for one in told:
        name = {"name": one.actor.name}
        if one.kind == "invitation_received":
            lines.append(_(N_("%(name)s invited you to connect")) % name)
        elif one.kind == "invitation_reminder":
            lines.append(_(N_("%(name)s is waiting for your answer")) % name)
        elif one.kind == "introduction_requested":
            lines.append(_(N_("%(name)s asks you for an introduction")) % name)
        else:
            lines.append(_(N_("%(name)s accepted your invitation: you are now connected.")) % name)
    first = told[0].actor.name
    others = len({one.actor.id for one in told}) - 1
    subject = (
        words.ngettext(
            "%(name)s and %(num)s other on Vínculo today",
            "%(name)s and %(num)s others on Vínculo today",
            others,
        )
        if others
        else _(N_("%(name)s on Vínculo today"))
    ) % {"name": first, "num": others}
    return Letter(
        subject=subject,
        greeting=greeting(reader.name, locale=locale),
        paragraphs=(_(N_("What happened since your last email:")),),
        facts=tuple(lines),
        action=Action(_(N_("See your notifications")), link("/notifications")),
        closing=_(
            N_("You get this summary once a day, as you chose. Change it in your email settings.")
        ),
    )
