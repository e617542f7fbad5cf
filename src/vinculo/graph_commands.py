"""The `vinculo graph` commands: answer degree, path and mutual-connection questions from a graph
index built once from the database, for operators and scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Annotated, Any

import typer

from vinculo.db import Database
from vinculo.i18n import SOURCE_LOCALE
from vinculo.identity import repository as members_repository
from vinculo.process import ProcessServices
from vinculo.suggestions.reasons import Words
from vinculo.suggestions.service import MAX_SUGGESTIONS, suggestions_for

graph_app = typer.Typer(help="Ask the network's graph index.", no_args_is_help=True)

ExternalIds = Annotated[
    bool, typer.Option("--external-ids", help="Members are named by their external ids.")
]
Json = Annotated[bool, typer.Option("--json", help="Answer in JSON.")]


class Members:
    """Turns the references the operator gives into member ids and back."""

    def __init__(self, database: Database, *, external: bool) -> None:
        self.external = external
        self.to_id: dict[str, int] = {}
        self.to_reference: dict[int, Any] = {}
        with database.unit_of_work(write=False) as db:
            if external:
                self.to_id = members_repository.member_ids_by_external_id(db)
                self.to_reference = {
                    member_id: external_id for external_id, member_id in self.to_id.items()
                }
            else:
                known = members_repository.member_ids(db)
                self.to_id = {str(member_id): member_id for member_id in known}

    def id_of(self, reference: object) -> int:
        member_id = self.to_id.get(str(reference))
        if member_id is None:
            raise LookupError(f"no member {reference}")
        return member_id

    def references(self, ids: Iterable[int]) -> list[Any]:
        return [self.to_reference[i] if self.external else i for i in ids]


def answer(services: ProcessServices, members: Members, query: dict[str, Any]) -> dict[str, Any]:
    """One query of `graph batch` (or of a single command), answered."""
    op = query.get("op")
    graph = services.network_index.graph
    try:
        a = members.id_of(query.get("a"))
        if op == "degree":
            return {"degree": graph.degree(a, members.id_of(query.get("b")))}
        if op == "path":
            path = graph.shortest_path(a, members.id_of(query.get("b")))
            return {
                "length": None if path is None else len(path) - 1,
                "path": members.references(path or []),
            }
        if op == "mutual":
            found = graph.mutual_connections(a, members.id_of(query.get("b"))).tolist()
            return {"count": len(found), "members": members.references(found)}
        if op == "suggest":
            return _suggest(services, members, a, limit=query.get("limit", 20))
    except LookupError as missing:
        return {"error": str(missing)}
    return {"error": f"unknown op {op!r}"}


def _suggest(
    services: ProcessServices, members: Members, a: int, *, limit: object
) -> dict[str, Any]:
    """People member `a` should know, with their score and reasons (in English)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_SUGGESTIONS:
        return {"error": f"limit must be a whole number from 1 to {MAX_SUGGESTIONS}"}
    words = Words.of(SOURCE_LOCALE)  # English, the language the messages are written in
    with services.database.unit_of_work(write=False) as db:
        member = members_repository.member_by_id(db, a)
        if member is None:
            return {"error": f"no member {a}"}
        views = suggestions_for(db, member=member, limit=limit, words=words)
        return {
            "items": [
                {
                    "member": members.references([view.member.member.id])[0],
                    "score": round(view.score, 4),
                    "reasons": list(view.reasons),
                }
                for view in views
            ]
        }


def _say(result: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
    elif "error" in result:
        typer.echo(result["error"], err=True)
    else:
        typer.echo(", ".join(f"{key}: {value}" for key, value in result.items()))
    if "error" in result:
        raise typer.Exit(code=1)


def _database() -> Database:
    from vinculo.settings import get_settings

    return Database.from_settings(get_settings(), pool_size=2)


def _single(op: str, a: str, b: str | None, *, external: bool, as_json: bool, **more: Any) -> None:
    database = _database()
    services = None
    try:
        members = Members(database, external=external)
        services = ProcessServices.for_one_answer(database)
        result = answer(services, members, {"op": op, "a": a, "b": b, **more})
    finally:
        if services is not None:
            services.stop()
        database.dispose()
    _say(result, as_json=as_json)


@graph_app.command()
def degree(a: str, b: str, external_ids: ExternalIds = False, as_json: Json = False) -> None:
    """The degree between two members: 0, 1, 2, 3, or null beyond."""
    _single("degree", a, b, external=external_ids, as_json=as_json)


@graph_app.command()
def path(a: str, b: str, external_ids: ExternalIds = False, as_json: Json = False) -> None:
    """One shortest path between two members, of at most 6 steps."""
    _single("path", a, b, external=external_ids, as_json=as_json)


@graph_app.command()
def mutual(a: str, b: str, external_ids: ExternalIds = False, as_json: Json = False) -> None:
    """The connections two members have in common."""
    _single("mutual", a, b, external=external_ids, as_json=as_json)


@graph_app.command()
def suggest(
    a: str,
    limit: Annotated[int, typer.Option(help="How many suggestions.")] = 20,
    external_ids: ExternalIds = False,
    as_json: Json = False,
) -> None:
    """People a member should know, best first, with their score and reasons."""
    _single("suggest", a, None, external=external_ids, as_json=as_json, limit=limit)


@graph_app.command()
def batch(external_ids: ExternalIds = False) -> None:
    """Answer JSON-line queries from standard input, one JSON line each, in order, building the
    index once: {"op": "degree"|"path"|"mutual", "a": A, "b": B} or
    {"op": "suggest", "a": A, "limit": K}."""
    database = _database()
    services = None
    try:
        members = Members(database, external=external_ids)
        services = ProcessServices.for_one_answer(database)
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                query = json.loads(line)
            except json.JSONDecodeError as invalid:
                result: dict[str, Any] = {"error": f"not JSON: {invalid.msg}"}
            else:
                result = (
                    answer(services, members, query)
                    if isinstance(query, dict)
                    else {"error": "each line must be a JSON object"}
                )
            sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    finally:
        if services is not None:
            services.stop()
        database.dispose()
