"""The `vinculo` command for operators: serve, migrate, seed a demo community, read the security
event log."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Annotated, TextIO

import typer

from vinculo import migrations
from vinculo.db import Database
from vinculo.graph_commands import graph_app
from vinculo.settings import Settings, get_settings

app = typer.Typer(help="Vínculo: a self-hostable professional network.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(graph_app, name="graph")


def _database() -> Database:
    settings = get_settings()
    return Database.from_settings(settings, pool_size=2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    jobs: Annotated[
        bool | None,
        typer.Option(
            "--jobs/--no-jobs",
            help="Run the scheduled jobs (`vinculo worker`) beside the web processes "
            "[VINCULO_SERVE_JOBS].",
        ),
    ] = None,
) -> None:
    """Serve the pages and the API, and (unless told not to) the scheduled jobs in a process of
    their own beside them."""
    import subprocess
    import sys

    import uvicorn

    database = _database()
    try:
        if not migrations.is_up_to_date(database):
            typer.echo(
                "The database schema is not up to date: run `vinculo db upgrade` first.", err=True
            )
            raise typer.Exit(code=1)
    finally:
        database.dispose()
    settings = get_settings()
    shared, made = _graph_snapshot(settings)
    if "VINCULO_PUBLIC_URL" not in os.environ:
        # Links in mails lead here, unless the operator said where members reach the site.
        reachable = "localhost" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - a comparison
        os.environ["VINCULO_PUBLIC_URL"] = f"http://{reachable}:{port}"
    typer.echo(f"Vínculo on http://{host}:{port}")
    if not settings.smtp_host:
        mail_dir = Path(settings.mail_dir).resolve()
        typer.echo(f"No SMTP server set (VINCULO_SMTP_HOST): mail is written to {mail_dir}")
    scheduled = None
    if jobs if jobs is not None else settings.serve_jobs:
        scheduled = subprocess.Popen(
            [sys.executable, "-m", "vinculo", "worker"],
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no thread runs yet in this process
        )
    # uvicorn stops on SIGTERM and raises it again once stopped: as an exit, so that what this
    # run made (the worker, the snapshot's folder) is cleaned up below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(
            "vinculo.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
        )
    finally:
        if scheduled is not None:
            scheduled.terminate()
            scheduled.wait(timeout=30)
        if made:
            shutil.rmtree(shared, ignore_errors=True)


def _graph_snapshot(settings: Settings) -> tuple[Path, bool]:
    """Read the graph index once, here, and save it where the web processes map it from (one
    copy of it in memory for all of them): in VINCULO_GRAPH_SNAPSHOT_DIR, or a folder made for
    this run; whether the folder was made."""
    from vinculo.network.index import NetworkIndex

    made = settings.graph_snapshot_dir is None
    shared = Path(settings.graph_snapshot_dir or tempfile.mkdtemp(prefix="vinculo-graph-"))
    database = _database()
    try:
        index = NetworkIndex(database)
        index.load()
        index.save(shared)
    finally:
        database.dispose()
    os.environ["VINCULO_GRAPH_SNAPSHOT_DIR"] = str(shared)
    return shared, made


def _die_with_parent() -> None:
    """In a child process: end when the parent ends, however it ends (uvicorn ends `vinculo
    serve` by raising the signal it received again, past any `finally`). Linux only; elsewhere
    the child is stopped when `serve` returns normally."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


PR_SET_PDEATHSIG = 1


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database to the latest schema (or to REVISION)."""
    migrations.upgrade(get_settings().database_url, revision)
    typer.echo(
        f"Database at revision {migrations.head_revision() if revision == 'head' else revision}."
    )


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
) -> None:
    """Migrate the database back to REVISION."""
    migrations.downgrade(get_settings().database_url, revision)


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is the latest."""
    database = _database()
    try:
        current = migrations.current_revision(database)
    finally:
        database.dispose()
    head = migrations.head_revision()
    typer.echo(
        f"{current or '(empty)'}{' (latest)' if current == head else f' (latest is {head})'}"
    )


@db_app.command("check")
def db_check() -> None:
    """Fail when the models differ from the migrated schema (a migration is missing)."""
    migrations.check(get_settings().database_url)
    typer.echo("The schema matches the models.")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="What the migration does.")],
) -> None:
    """Write a new migration from the difference between the models and the database."""
    migrations.revision(get_settings().database_url, message)


@app.command()
def worker(
    interval: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds between two rounds [VINCULO_SWEEP_INTERVAL_SECONDS]."),
    ] = None,
    once: Annotated[bool, typer.Option(help="One round, then exit (for cron).")] = False,
) -> None:
    """Run the community's scheduled jobs apart from the web processes: expire invitations and
    send the day-7 reminders, forget finished rate-limit windows, fit the reranker of
    suggestions when it is due, and send the mail waiting in the outbox. `vinculo serve`
    starts one itself unless told not to."""
    import threading

    from vinculo.worker import Worker

    settings = get_settings()
    database = _database()
    jobs = Worker(database, settings)
    try:
        if once:
            done = jobs.run_once()
            typer.echo(
                f"Swept: {done.swept.expired} expired, {done.swept.reminded} reminded."
                + (f" Reranker {done.reranker} fitted." if done.reranker else "")
                + f" Mail: {done.mailed.sent} sent, {done.mailed.retried} to retry,"
                f" {done.mailed.failed} failed."
            )
            return
        jobs.run(
            stopped=threading.Event(), interval=interval or settings.sweep_interval_seconds or 60
        )
    except KeyboardInterrupt:
        return
    finally:
        database.dispose()


class ProgressBar:
    """The import's progress on a terminal: one line per step, redrawn in place,
    `writing connections  [##########··········]  52%  411,204/790,777`."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.step = ""
        self.drawn = 0.0

    def show(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        if step == self.step and done < total and now - self.drawn < 0.1:
            return
        if step != self.step and self.step:
            self.stream.write("\n")
        self.step, self.drawn = step, now
        if total:
            filled = self.WIDTH * done // total
            bar = "#" * filled + "·" * (self.WIDTH - filled)
            line = f"{step:<22} [{bar}] {100 * done // total:3d}%  {done:,}/{total:,}"
        else:
            line = f"{step} …"
        self.stream.write("\r" + line)
        self.stream.flush()

    def finish(self) -> None:
        if self.step:
            self.stream.write("\n")
            self.stream.flush()


@app.command("import")
def import_members(
    members: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="members CSV")],
    connections: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="connections CSV")
    ] = None,
    positions: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="positions CSV")
    ] = None,
    education: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="education CSV")
    ] = None,
    send_claims: Annotated[
        bool,
        typer.Option(
            "--send-claims",
            help="Mail every imported member with an email a link to claim their account "
            "(once: a member already sent one is not sent another).",
        ),
    ] = False,
) -> None:
    """Import members, connections, positions and education from CSV files: all or nothing, and
    running it again changes nothing."""
    import sys

    from vinculo.identity.links import send_claims as mail_claims
    from vinculo.imports.service import ImportFiles, ImportRefused, run_import

    files = ImportFiles(members, connections, positions, education)
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    database = _database()
    try:
        with database.unit_of_work() as db:
            result = run_import(db, files, progress=bar.show if bar else lambda *_: None)
            claims = mail_claims(db) if send_claims else None
        if bar:
            bar.finish()
    except ImportRefused as refused:
        for line in refused.problems.lines:
            typer.echo(line, err=True)
        hidden = refused.problems.total - len(refused.problems.lines)
        if hidden:
            typer.echo(f"… and {hidden} more problems", err=True)
        typer.echo("Nothing was imported.", err=True)
        raise typer.Exit(code=1) from None
    finally:
        database.dispose()
    typer.echo(
        f"Imported {result.members_added} new members ({result.members_known} already here), "
        f"{result.connections_added} connections, {result.positions_added} positions, "
        f"{result.education_added} education entries."
        + (f" Claim links mailed to {claims} members." if claims is not None else "")
    )


@app.command()
def demo(
    members: Annotated[int, typer.Option(min=1, help="How many members to generate.")] = 2000,
    seed: Annotated[int, typer.Option(help="The same seed gives the same community.")] = 7,
) -> None:
    """Fill an empty database with a demo community and print how to log in. Does nothing to a
    database that already has members, and refuses to run in production: every demo member has
    the same published password."""
    from vinculo.demo.community import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_community
    from vinculo.identity.repository import count_members

    if get_settings().environment == "production":
        typer.echo(
            "No demo community in production: its members share a published password.", err=True
        )
        raise typer.Exit(code=1)
    database = _database()
    try:
        with database.unit_of_work() as db:
            existing = count_members(db)
            if existing:
                typer.echo(f"The database already has {existing} members; no demo community added.")
            else:
                summary = seed_demo_community(db, members=members, seed=seed)
                typer.echo(
                    f"Demo community: {summary.members} members, {summary.positions} positions at "
                    f"{summary.organizations} organizations, {summary.education} studies at "
                    f"{summary.schools} schools, {summary.connections} connections."
                )
    finally:
        database.dispose()
    typer.echo(f"Log in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}")
    typer.echo("(every demo member has that password: see the community from anyone's eyes).")


@app.command("search-index")
def search_index() -> None:
    """Rebuild the search index from every member's profile, in one transaction (members keep
    finding each other meanwhile, through the index as it was). Migrations build it; this is
    for repairs, or after a change in how words are folded."""
    from vinculo.profiles.service import reindex_search

    database = _database()
    started = time.perf_counter()
    try:
        with database.unit_of_work() as db:
            members = reindex_search(db)
    finally:
        database.dispose()
    typer.echo(f"Indexed {members:,} members in {time.perf_counter() - started:.1f} s.")


@app.command("end-sessions")
def end_sessions(
    member: Annotated[
        str | None, typer.Option(help="End this member's sessions and tokens (their email).")
    ] = None,
    everyone: Annotated[
        bool, typer.Option("--everyone", help="End every member's sessions and tokens.")
    ] = False,
) -> None:
    """End sessions and API tokens at once, for an account taken over or after a leak: one
    member's (--member) or everyone's (--everyone). They log in again; their logs say so."""
    from vinculo.identity import repository as members
    from vinculo.identity.service import end_sessions_of

    if (member is None) == (not everyone):
        typer.echo("Give either --member EMAIL or --everyone.", err=True)
        raise typer.Exit(code=2)
    database = _database()
    try:
        with database.unit_of_work() as db:
            found = None
            if member is not None:
                found = members.member_by_email(db, member.strip().lower())
                if found is None:
                    typer.echo(f"No member has the email {member!r}.", err=True)
                    raise typer.Exit(code=1)
            ended = end_sessions_of(db, member=found)
    finally:
        database.dispose()
    typer.echo(f"Ended {ended} sessions and tokens.")


@app.command("security-events")
def security_events(
    member: Annotated[
        str | None, typer.Option(help="Only this member's events (their email).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only events from this UTC date or time on (ISO: 2026-12-01[T18:00])."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100000, help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
) -> None:
    """Print the security event log, newest first: logins and failed ones, lockouts, password and
    two-factor changes, revoked sessions, blocks and reports, with their UTC times."""
    import json
    from datetime import UTC, datetime

    from vinculo.identity import repository as members
    from vinculo.security.service import security_events as read_events

    start = None
    if since is not None:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            typer.echo(f"--since: not an ISO date or time: {since!r}", err=True)
            raise typer.Exit(code=2) from None
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    database = _database()
    try:
        with database.unit_of_work(write=False) as db:
            member_id = None
            if member is not None:
                found = members.member_by_email(db, member.strip().lower())
                if found is None:
                    typer.echo(f"No member has the email {member!r}.", err=True)
                    raise typer.Exit(code=1)
                member_id = found.id
            events = read_events(db, member_id=member_id, since=start, cursor=None, limit=limit)
            emails = {
                found.id: found.email
                for found in members.members_by_id(
                    db, sorted({event.member_id for event in events.items})
                ).values()
            }
    finally:
        database.dispose()
    for event in events.items:
        when = event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        email = emails.get(event.member_id, "")
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "id": event.id,
                        "occurred_at": when,
                        "member": event.member_id,
                        "email": email,
                        "kind": event.kind,
                        "client_address": event.client_address,
                        "detail": event.detail,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            typer.echo(
                "  ".join(
                    part
                    for part in (
                        when,
                        f"member {event.member_id} <{email}>",
                        event.kind,
                        f"from {event.client_address}" if event.client_address else "",
                        event.detail,
                    )
                    if part
                )
            )


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app()
