"""The mails identity sends: confirming an address, resetting a password, an address changed,
claiming an imported account. Each is about the account's security: none can be unsubscribed
from, and each says what to do when the reader did not ask for it."""

from __future__ import annotations

from vinculo.identity.models import Member
from vinculo.mail.composing import Action, Letter, greeting, language


def confirm_address(member: Member, *, url: str, locale: str, changing: bool) -> Letter:
    _ = language(locale).gettext
    if changing:
        subject = _("Confirm your new email address")
        paragraph = _(
            "You asked to use this address for Vínculo. Confirm it, and it becomes "
            "the one you log in with."
        )
    else:
        subject = _("Confirm your email address")
        paragraph = _(
            "Welcome to Vínculo. Confirm your email address, so that members who "
            "receive your invitations know it is really yours."
        )
    return Letter(
        subject=subject,
        greeting=greeting(member.name, locale=locale),
        paragraphs=(paragraph, _("The link works once, for 7 days.")),
        action=Action(_("Confirm my address"), url),
        closing=_("If you did not ask for this, ignore this email: nothing changes."),
    )


def reset_password(member: Member, *, url: str, locale: str) -> Letter:
    _ = language(locale).gettext
    return Letter(
        subject=_("Reset your Vínculo password"),
        greeting=greeting(member.name, locale=locale),
        paragraphs=(
            _("Someone, probably you, asked to reset the password of your Vínculo account."),
            _(
                "The link works once, for one hour. Setting a new password logs you out "
                "everywhere else."
            ),
        ),
        action=Action(_("Choose a new password"), url),
        closing=_("If you did not ask for this, ignore this email: your password stays as it is."),
    )


def address_changing(member: Member, *, new_address: str, locale: str) -> Letter:
    """To the old address, when a change to another is asked for."""
    _ = language(locale).gettext
    return Letter(
        subject=_("Your Vínculo email address is being changed"),
        greeting=greeting(member.name, locale=locale),
        paragraphs=(
            _(
                "Someone logged in to your account asked to use %(address)s instead of "
                "this address. It changes once that address is confirmed."
            )
            % {"address": new_address},
        ),
        closing=_(
            "If it was not you, change your password now and end your other "
            "sessions in your settings."
        ),
    )


def address_changed(member: Member, *, new_address: str, locale: str) -> Letter:
    """To the old address, once the new one is confirmed."""
    _ = language(locale).gettext
    return Letter(
        subject=_("Your Vínculo email address was changed"),
        greeting=greeting(member.name, locale=locale),
        paragraphs=(
            _(
                "Your account now uses %(address)s. Mail from Vínculo no longer comes "
                "to this address."
            )
            % {"address": new_address},
        ),
        closing=_("If it was not you, write to the people who run your community at once."),
    )


def claim_account(member: Member, *, url: str, locale: str) -> Letter:
    _ = language(locale).gettext
    return Letter(
        subject=_("Your community is on Vínculo: claim your account"),
        greeting=greeting(member.name, locale=locale),
        paragraphs=(
            _(
                "Your community added you to Vínculo, its professional network, with "
                "your profile and your connections."
            ),
            _("Choose a password to claim your account. The link works once, for 30 days."),
        ),
        action=Action(_("Claim my account"), url),
        closing=_("If you do not want an account, ignore this email."),
    )
