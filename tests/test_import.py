"""`vinculo import` and `vinculo graph`, as an operator runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from vinculo.cli import ProgressBar
from vinculo.db import Database
from vinculo.identity.models import Member
from vinculo.imports.service import ImportFiles, run_import
from vinculo.network.models import Connection, ConnectionChange
from vinculo.profiles.models import Education, Organization, Position
from vinculo.search.models import SearchDocument


def vinculo(
    *args: str, database_url: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command, with fixed arguments
        [sys.executable, "-m", "vinculo", *args],
        env={**os.environ, "VINCULO_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        input=stdin,
    )


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


def _files(folder: Path) -> list[str]:
    members = _write(
        folder,
        "members.csv",
        """
external_id,name,email,headline,location,sector
ana,Ana Ruiz,ana@vinculo.example,Ingeniera de datos,Madrid,Tecnología
beto,Beto Gil,,,,
carla,Carla Núñez,carla@vinculo.example,,Sevilla,
dani,Dani Sol,,,,
""",
    )
    connections = _write(
        folder,
        "connections.csv",
        """
a,b,connected_on
ana,beto,2020-01-02
beto,carla,
carla,dani,
beto,ana,
""",
    )
    positions = _write(
        folder,
        "positions.csv",
        """
external_id,organization,title,start,end
ana,Acme Ibérica,Ingeniera,2019,
dani,ACME IBERICA,Analista,2018-03-01,2021-06-30
""",
    )
    education = _write(
        folder,
        "education.csv",
        """
external_id,school,degree,start,end
carla,Universidad de Sevilla,Grado en Física,2010,2014
""",
    )
    return [
        "--members",
        str(members),
        "--connections",
        str(connections),
        "--positions",
        str(positions),
        "--education",
        str(education),
    ]


def _counts(database: Database) -> tuple[int, ...]:
    with database.unit_of_work(write=False) as db:
        return tuple(
            int(db.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Member, Connection, ConnectionChange, Position, Education, Organization)
        )


def test_import_once_then_again_changes_nothing(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    files = _files(tmp_path)
    first = vinculo("import", *files, database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "4 new members" in first.stdout
    assert _counts(database) == (4, 3, 3, 2, 1, 1)
    second = vinculo("import", *files, database_url=database_url)
    assert second.returncode == 0, second.stderr
    assert "0 new members (4 already here), 0 connections, 0 positions" in second.stdout
    assert _counts(database) == (4, 3, 3, 2, 1, 1)

    with database.unit_of_work(write=False) as db:
        ana = db.scalars(select(Member).where(Member.external_id == "ana")).one()
        beto = db.scalars(select(Member).where(Member.external_id == "beto")).one()
        document = db.get(SearchDocument, ana.id)
        assert document is not None
        assert "acme iberica" in document.work
    assert ana.email == "ana@vinculo.example"
    assert beto.email.endswith(".invalid")

    # The graph commands answer from the imported network, by external id.
    degree = vinculo(
        "graph", "degree", "ana", "dani", "--json", "--external-ids", database_url=database_url
    )
    assert json.loads(degree.stdout) == {"degree": 3}
    path = vinculo(
        "graph", "path", "ana", "dani", "--json", "--external-ids", database_url=database_url
    )
    assert json.loads(path.stdout) == {"length": 3, "path": ["ana", "beto", "carla", "dani"]}
    mutual = vinculo(
        "graph", "mutual", "ana", "carla", "--json", "--external-ids", database_url=database_url
    )
    assert json.loads(mutual.stdout) == {"count": 1, "members": ["beto"]}
    queries = "\n".join(
        json.dumps(query)
        for query in (
            {"op": "degree", "a": "ana", "b": "beto"},
            {"op": "path", "a": "dani", "b": "ana"},
            {"op": "degree", "a": "ana", "b": "nobody"},
        )
    )
    batch = vinculo("graph", "batch", "--external-ids", database_url=database_url, stdin=queries)
    answers = [json.loads(line) for line in batch.stdout.splitlines()]
    assert answers == [
        {"degree": 1},
        {"length": 3, "path": ["dani", "carla", "beto", "ana"]},
        {"error": "no member nobody"},
    ]


def test_a_bad_row_is_named_and_nothing_is_imported(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    files = _files(tmp_path)
    _write(
        tmp_path,
        "connections.csv",
        """
a,b,connected_on
ana,beto,
beto,zoe,
carla,carla,
""",
    )
    _write(
        tmp_path,
        "positions.csv",
        """
external_id,organization,title,start,end
ana,Acme,Ingeniera,2019,2017
""",
    )
    result = vinculo("import", *files, database_url=database_url)
    assert result.returncode == 1
    assert "connections.csv:3: no member has external_id zoe" in result.stderr
    assert "connections.csv:4: a member cannot be connected with themself" in result.stderr
    assert "positions.csv:2: end comes before start" in result.stderr
    assert "Nothing was imported." in result.stderr
    assert _counts(database) == (0, 0, 0, 0, 0, 0)


def test_missing_names_and_duplicate_ids_are_refused(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    members = _write(
        tmp_path,
        "members.csv",
        """
external_id,name,email,headline,location,sector
ana,,,,,
ana,Ana Bis,not-an-email,,,
""",
    )
    result = vinculo("import", "--members", str(members), database_url=database_url)
    assert result.returncode == 1
    assert "members.csv:2: name is empty" in result.stderr
    assert "members.csv:3: external_id ana is also on line 2" in result.stderr
    assert "members.csv:3: email 'not-an-email' is not an email address" in result.stderr
    assert _counts(database) == (0, 0, 0, 0, 0, 0)


def test_the_import_tells_its_progress_step_by_step(database: Database, tmp_path: Path) -> None:
    """The steps and their counts reach the progress bar, which draws them in place."""
    args = _files(tmp_path)
    files = ImportFiles(*(Path(args[i]) for i in (1, 3, 5, 7)))
    told: list[tuple[str, int, int]] = []
    with database.unit_of_work() as db:
        run_import(db, files, progress=lambda step, done, total: told.append((step, done, total)))
    assert told == [
        ("reading the files", 0, 0),
        ("writing members", 4, 4),
        ("writing connections", 4, 4),  # rows read; the repeated pair is written once
        ("writing positions", 2, 2),
        ("writing education", 1, 1),
    ]
    screen = io.StringIO()
    bar = ProgressBar(screen)
    for step, done, total in [*told[:2], ("writing connections", 1, 4), *told[2:]]:
        bar.show(step, done, total)
    bar.finish()
    lines = screen.getvalue().split("\n")
    assert lines[0] == "\rreading the files …"
    assert lines[1].endswith("100%  4/4")
    assert "#" * 30 in lines[1]
    assert lines[2].startswith("\rwriting connections")
    assert lines[2].endswith("100%  4/4")  # redrawn in place over the 25% line
    assert lines[-1] == ""


def test_files_that_are_not_clean_text_are_named_by_file_line_and_field(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    """Bytes that are not UTF-8, a UTF-16 file, a field of 200 KiB, a NUL character, a day that
    does not exist and a name that reverses itself: each named, no traceback, nothing written."""
    members = tmp_path / "members.csv"
    members.write_bytes(
        b"external_id,name,email,headline,location,sector\n"
        b"ana,Ana Ruiz,,,,\n"
        b"beto,B\xffeto Gil,,,,\n"
        b"carla,Carla,,," + b"x" * (200 * 1024) + b",\n"
        b"dani,Dani,,,,Tecnolog\x00ia\n"
        b"eva,Eva \xe2\x80\xaeziuR,,,,\n"
    )
    positions = tmp_path / "positions.csv"
    positions.write_text(
        "external_id,organization,title,start,end\nana,Acme,Ingeniera,2019,\n", encoding="utf-16"
    )
    education = _write(
        tmp_path,
        "education.csv",
        """
external_id,school,degree,start,end
ana,Universidad de Sevilla,Grado,2020-02-31,
ana,Universidad de Sevilla,Grado,2020-02-29,2021-13-01
""",
    )
    result = vinculo(
        "import",
        "--members",
        str(members),
        "--positions",
        str(positions),
        "--education",
        str(education),
        database_url=database_url,
    )
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    for problem in [
        "members.csv:3: name is not valid UTF-8 text",
        "members.csv:4: location is too long (204800 characters)",
        "members.csv:5: sector contains a NUL character",
        "members.csv:6: name has a control or invisible formatting character",
        "positions.csv:1: the file is UTF-16 (or another encoding): save it as UTF-8",
        "education.csv:2: start '2020-02-31' is not YYYY or YYYY-MM-DD",
        "education.csv:3: end '2021-13-01' is not YYYY or YYYY-MM-DD",
    ]:
        assert problem in result.stderr, result.stderr
    assert "Nothing was imported." in result.stderr
    assert _counts(database) == (0, 0, 0, 0, 0, 0)
