"""The outbox and its sender: a mail leaves only if what it tells committed, reaches a real SMTP
server as plain text and HTML with one-click unsubscribe, is never sent twice, waits longer after
each failure and gives up after a permanent refusal; in development it is an .eml file."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from threading import Barrier, Thread
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from tests.helpers import register
from tests.smtp_server import Mailbox, html_of, text_of
from vinculo import clock
from vinculo.db import Database
from vinculo.errors import NotFound
from vinculo.mail import service
from vinculo.mail.composing import Action, Letter
from vinculo.mail.models import OutboxMail
from vinculo.mail.sender import FolderTransport, forget_old_mail, send_waiting

LETTER = Letter(
    subject="Ana Ruiz invited you to connect",
    greeting="Hello Luis,",
    paragraphs=("Ana Ruiz <ana@example.com> wants to connect & work with you.",),
    action=Action("See the invitation", "http://127.0.0.1:8000/invitations"),
    facts=("3 mutual connections",),
    closing="You get this email because you are a member of Vínculo.",
)


def _queue(
    database: Database, *, to: str, member_id: int | None, kind: str = "invitation_received"
) -> int:
    with database.unit_of_work() as db:
        return service.send_mail(
            db, to=to, letter=LETTER, kind=kind, locale="en", member_id=member_id
        )


def _frequency(db: Session, member_id: int, kind: str) -> str:
    [choice] = [c for c in service.preferences_of(db, member_id=member_id) if c.kind == kind]
    return choice.frequency


def _mail(database: Database, mail_id: int) -> OutboxMail:
    with database.unit_of_work(write=False) as db:
        found = db.get(OutboxMail, mail_id)
        assert found is not None
        return found


def test_a_mail_reaches_the_server_as_text_and_html_with_one_click_unsubscribe(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    member = register(client, name="Luis Gómez")
    _queue(database, to=member["email"], member_id=member["id"])
    assert mailbox.deliver(database).sent >= 1
    [message] = [m for m in mailbox.to(member["email"]) if m["Subject"] == LETTER.subject]
    assert message.get_content_type() == "multipart/alternative"
    text, html = text_of(message), html_of(message)
    assert "Ana Ruiz <ana@example.com> wants to connect & work with you." in text
    assert "Ana Ruiz &lt;ana@example.com&gt; wants to connect &amp; work with you." in html
    assert "- 3 mutual connections" in text
    assert "http://127.0.0.1:8000/invitations" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe in text
    assert unsubscribe in html
    assert message["Message-ID"].startswith("<outbox.")
    assert message["Auto-Submitted"] == "auto-generated"

    # The mail program posts to the address; the member gets no more of these.
    path = urlsplit(unsubscribe).path
    answer = client.post(path, content=b"List-Unsubscribe=One-Click")
    assert answer.status_code == 200
    with database.unit_of_work(write=False) as db:
        assert _frequency(db, member["id"], "invitation_received") == "never"


def test_the_unsubscribe_page_asks_first_and_refuses_made_up_addresses(
    client: TestClient, database: Database
) -> None:
    member = register(client)
    token = service.unsubscribe_token(member_id=member["id"], kind="invitation_accepted")
    page = client.get(f"/mail/unsubscribe/{token}")
    assert page.status_code == 200
    assert "Stop these emails?" in page.text
    with database.unit_of_work(write=False) as db:  # a GET (a link scanner) changes nothing
        assert _frequency(db, member["id"], "invitation_accepted") == "immediately"
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    other_member = f"{member['id'] + 1}." + token.partition(".")[2]
    for bad in (forged, other_member, "1.invitation_received", "x.y.z", "123"):
        assert client.post(f"/mail/unsubscribe/{bad}").status_code == 404, bad
    with pytest.raises(NotFound):
        service.read_unsubscribe_token(forged)


def test_a_mail_written_in_a_transaction_that_rolls_back_never_leaves(
    client: TestClient, database: Database, mailbox: Mailbox
) -> None:
    member = register(client)

    def undone() -> None:
        with database.unit_of_work() as db:
            service.send_mail(
                db, to=member["email"], letter=LETTER, kind="x", locale="en", member_id=None
            )
            raise RuntimeError("what the mail tells did not happen")

    with pytest.raises(RuntimeError):
        undone()
    mailbox.deliver(database)
    assert [m for m in mailbox.to(member["email"]) if m["Subject"] == LETTER.subject] == []


def test_two_senders_racing_send_each_mail_once(database: Database, mailbox: Mailbox) -> None:
    addresses = [f"race{n}@vinculo.example" for n in range(12)]
    for address in addresses:
        _queue(database, to=address, member_id=None, kind="notice")
    settings = mailbox.settings()
    start = Barrier(2)

    def sender() -> None:
        start.wait()
        from vinculo.mail.sender import SmtpTransport

        send_waiting(
            database, SmtpTransport(settings), sender=settings.mail_from, attempts=3, batch=5
        )
        send_waiting(
            database, SmtpTransport(settings), sender=settings.mail_from, attempts=3, batch=20
        )

    threads = [Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(str(m["To"]) for m in mailbox.received) == sorted(addresses)


def test_a_failed_attempt_waits_longer_each_time_and_a_refusal_gives_up(
    database: Database, mailbox: Mailbox
) -> None:
    mail_id = _queue(database, to="later@vinculo.example", member_id=None, kind="notice")
    mailbox.refuse = "451 4.3.0 try again later"
    with clock.frozen(clock.now()) as frozen:
        assert mailbox.deliver(database).retried == 1
        first = _mail(database, mail_id)
        assert first.attempts == 1
        assert first.sent_at is None
        assert first.failed_at is None
        assert first.send_after == frozen.current + timedelta(minutes=1)
        assert "451" in first.last_error
        assert mailbox.deliver(database).retried == 0  # not due yet
        frozen.advance(timedelta(minutes=1))
        mailbox.deliver(database)
        assert _mail(database, mail_id).send_after == frozen.current + timedelta(minutes=4)
        frozen.advance(timedelta(minutes=4))
        mailbox.refuse = None
        assert mailbox.deliver(database).sent == 1
    done = _mail(database, mail_id)
    assert done.sent_at is not None
    assert done.attempts == 3
    assert len(mailbox.to("later@vinculo.example")) == 1

    refused = _queue(database, to="nobody@vinculo.example", member_id=None, kind="notice")
    mailbox.refuse = "550 5.1.1 no such user"
    assert mailbox.deliver(database).failed == 1
    assert _mail(database, refused).failed_at is not None


def test_with_no_server_the_mail_waits_and_is_sent_once_the_server_answers(
    database: Database, mailbox: Mailbox
) -> None:
    mail_id = _queue(database, to="down@vinculo.example", member_id=None, kind="notice")
    settings = mailbox.settings().model_copy(update={"smtp_port": 1})  # nothing listens there
    from vinculo.mail.sender import MailSender, SmtpTransport

    with clock.frozen(clock.now()) as frozen:
        assert MailSender(database, settings, SmtpTransport(settings)).send_once().retried == 1
        assert _mail(database, mail_id).last_error
        frozen.advance(timedelta(minutes=1))
        assert mailbox.deliver(database).sent == 1
    assert len(mailbox.to("down@vinculo.example")) == 1


def test_in_development_mail_is_an_eml_file_in_the_folder(
    database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _queue(database, to="dev@vinculo.example", member_id=None, kind="notice")
    folder = tmp_path / "mail"
    send_waiting(database, FolderTransport(folder), sender="Vínculo <a@b.example>", attempts=3)
    [path] = folder.glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "dev@vinculo.example"
    assert message["Subject"] == LETTER.subject
    shown = capsys.readouterr().out
    assert "dev@vinculo.example" in shown
    assert "http://127.0.0.1:8000/invitations" in shown


def test_the_worker_forgets_mail_a_while_after_it_was_sent(
    database: Database, mailbox: Mailbox
) -> None:
    sent = _queue(database, to="old@vinculo.example", member_id=None, kind="notice")
    mailbox.deliver(database)
    waiting = _queue(database, to="new@vinculo.example", member_id=None, kind="notice")
    with clock.frozen(clock.now() + timedelta(days=29)):
        assert forget_old_mail(database, keep_days=30) == 0
    with clock.frozen(clock.now() + timedelta(days=31)):
        assert forget_old_mail(database, keep_days=30) == 1
    with database.unit_of_work(write=False) as db:
        assert db.get(OutboxMail, sent) is None
        assert db.get(OutboxMail, waiting) is not None  # not sent yet: kept until it is


def test_a_link_stays_whole_in_the_eml_file(database: Database, tmp_path: Path) -> None:
    """A reader of the raw file (or a script looking for the link) finds it as it was written."""
    _queue(database, to="raw@vinculo.example", member_id=None, kind="notice")
    send_waiting(database, FolderTransport(tmp_path, show=False), sender="a@b.example", attempts=1)
    [path] = tmp_path.glob("*.eml")
    assert "http://127.0.0.1:8000/invitations\n" in path.read_text(encoding="utf-8")


def test_a_line_too_long_for_smtp_is_encoded(database: Database, tmp_path: Path) -> None:
    long_letter = Letter(subject="Long", greeting="Hello,", paragraphs=("ñ" * 1500,))
    with database.unit_of_work() as db:
        service.send_mail(db, to="long@vinculo.example", letter=long_letter, kind="x", locale="en")
    send_waiting(database, FolderTransport(tmp_path, show=False), sender="a@b.example", attempts=1)
    [path] = tmp_path.glob("*.eml")
    raw = path.read_bytes()
    assert max(len(line) for line in raw.splitlines()) <= 998
    message = message_from_bytes(raw, policy=policy.default)
    assert "ñ" * 1500 in text_of(message)
