"""Your profile, other members' profiles, positions and education through the JSON API."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.helpers import connect, fields_of, member_with_token, problem_of
from vinculo.db import Database
from vinculo.identity.models import ABOUT_MAX
from vinculo.profiles.models import (
    EDUCATION_PER_MEMBER,
    POSITIONS_PER_MEMBER,
    Education,
    Organization,
    Position,
    School,
)

ME = "/api/v1/members/me"
POSITIONS = "/api/v1/members/me/positions"
EDUCATION = "/api/v1/members/me/education"
# What each kind of career entry is called in the API: its collection, its place and its label.
KINDS = {
    "positions": (POSITIONS, "organization", "title"),
    "education": (EDUCATION, "school", "degree"),
}


def _entry(place_field: str, label_field: str, place: str, **fields: Any) -> dict[str, Any]:
    return {place_field: place, label_field: "Ingeniería", "start": "2019", **fields}


# Your own profile


def test_a_new_member_sees_their_own_empty_profile(client: TestClient) -> None:
    member, headers = member_with_token(client, name="Ana Ruiz")
    me = client.get(ME, headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == member["id"]
    assert body["name"] == "Ana Ruiz"
    assert body["email"] == member["email"]
    assert body["locale"] is None
    assert body["degree"] == 0
    assert body["mutual_connections"] == {"count": 0, "sample": []}
    assert body["positions"] == []
    assert body["education"] == []
    assert (body["headline"], body["location"], body["sector"], body["about"]) == ("", "", "", "")


def test_patch_changes_only_the_fields_sent(client: TestClient) -> None:
    _, headers = member_with_token(client, name="Ana Ruiz")
    changed = client.patch(
        ME,
        json={
            "name": "  María   José  García ",
            "headline": "  Ingeniera de datos  ",
            "location": "Sevilla",
            "sector": "Tecnología",
            "about": "\n  Primera línea.\nSegunda línea.  \n",
            "locale": "es",
        },
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == "María José García"
    assert body["headline"] == "Ingeniera de datos"
    assert body["location"] == "Sevilla"
    assert body["sector"] == "Tecnología"
    assert body["about"] == "Primera línea.\nSegunda línea."
    assert body["locale"] == "es"

    # Left-out fields keep their value; a null locale goes back to following the browser.
    again = client.patch(
        ME, json={"headline": "Arquitecta de datos", "locale": None}, headers=headers
    )
    assert again.status_code == 200, again.text
    me = client.get(ME, headers=headers).json()
    assert me["headline"] == "Arquitecta de datos"
    assert me["locale"] is None
    assert (me["name"], me["location"], me["sector"]) == (
        "María José García",
        "Sevilla",
        "Tecnología",
    )
    assert me["about"] == "Primera línea.\nSegunda línea."
    assert client.patch(ME, json={"locale": "en"}, headers=headers).json()["locale"] == "en"


def test_about_may_be_as_long_as_the_limit(client: TestClient) -> None:
    _, headers = member_with_token(client)
    about = "ñ" * ABOUT_MAX
    changed = client.patch(ME, json={"about": about}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert client.get(ME, headers=headers).json()["about"] == about


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"about": "x" * (ABOUT_MAX + 1)}, "about"),
        ({"headline": "Nuevo titular", "about": "x" * (ABOUT_MAX + 1)}, "about"),
        ({"name": None}, "name"),
        ({"headline": None}, "headline"),
        ({"about": None}, "about"),
        ({"name": ""}, "name"),
        ({"name": "    "}, "name"),
        ({"headline": "x" * 221}, "headline"),
        ({"headline": 42}, "headline"),
        ({"locale": "fr"}, "locale"),
        ({"nickname": "Anita"}, "nickname"),
        ({"email": "other@vinculo.example"}, "email"),
    ],
)
def test_an_invalid_patch_changes_nothing(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    _, headers = member_with_token(client)
    client.patch(ME, json={"headline": "Ingeniera", "about": "Sobre mí"}, headers=headers)
    before = client.get(ME, headers=headers).json()
    refused = client.patch(ME, json=body, headers=headers)
    problem = problem_of(refused, 422, slug="invalid-input")
    assert field in fields_of(problem)
    assert client.get(ME, headers=headers).json() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (ME, {"headline": "Inge\x00niera"}, "headline"),
        (ME, {"name": "Ana\x00"}, "name"),
        (POSITIONS, {"organization": "Acme\x00", "title": "Jefa", "start": "2019"}, "organization"),
        (EDUCATION, {"school": "IES", "degree": "\x00", "start": "2019"}, "degree"),
    ],
)
def test_text_with_a_nul_character_is_refused(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    """PostgreSQL cannot store it, so no backend takes it."""
    _, headers = member_with_token(client)
    before = client.get(ME, headers=headers).json()
    method = "PATCH" if path == ME else "POST"
    refused = client.request(method, path, json=body, headers=headers)
    assert fields_of(problem_of(refused, 422, slug="invalid-input")) == [field]
    assert client.get(ME, headers=headers).json() == before


def test_my_profile_needs_a_token(client: TestClient) -> None:
    problem_of(client.get(ME), 401, slug="not-authenticated")
    problem_of(client.patch(ME, json={"headline": "x"}), 401, slug="not-authenticated")
    refused = client.get(ME, headers={"Authorization": "Bearer not-a-token"})
    problem_of(refused, 401, slug="not-authenticated")
    assert refused.headers["www-authenticate"] == "Bearer"


# Other members' profiles


def test_another_members_profile_has_degree_and_mutual_connections(client: TestClient) -> None:
    ana, ana_headers = member_with_token(client, name="Ana")
    beto, beto_headers = member_with_token(client, name="Beto")
    carla, carla_headers = member_with_token(client, name="Carla")
    dani, _ = member_with_token(client, name="Dani")
    connect(client, ana_headers, to=beto["id"], to_headers=beto_headers)
    connect(client, beto_headers, to=carla["id"], to_headers=carla_headers)
    client.patch(ME, json={"headline": "Diseñadora", "about": "Hola"}, headers=carla_headers)
    client.post(
        POSITIONS,
        json={"organization": "Globex", "title": "Diseñadora", "start": "2020-01"},
        headers=carla_headers,
    )

    response = client.get(f"/api/v1/members/{carla['id']}", headers=ana_headers)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["id"] == carla["id"]
    assert profile["name"] == "Carla"
    assert profile["headline"] == "Diseñadora"
    assert profile["about"] == "Hola"
    assert profile["degree"] == 2
    assert [position["organization"]["name"] for position in profile["positions"]] == ["Globex"]
    mutual = profile["mutual_connections"]
    assert mutual["count"] == 1
    assert [(member["id"], member["name"], member["degree"]) for member in mutual["sample"]] == [
        (beto["id"], "Beto", 1)
    ]
    # What only the member sees of themselves stays private.
    assert "email" not in profile
    assert "locale" not in profile

    direct = client.get(f"/api/v1/members/{beto['id']}", headers=ana_headers).json()
    assert direct["degree"] == 1
    assert direct["mutual_connections"] == {"count": 0, "sample": []}
    stranger = client.get(f"/api/v1/members/{dani['id']}", headers=ana_headers).json()
    assert stranger["degree"] is None
    myself = client.get(f"/api/v1/members/{ana['id']}", headers=ana_headers).json()
    assert myself["degree"] == 0
    assert "email" not in myself


@pytest.mark.parametrize("member_id", ["999999", str(2**63 - 1)])
def test_an_unknown_member_is_a_404_problem(client: TestClient, member_id: str) -> None:
    _, headers = member_with_token(client)
    problem_of(
        client.get(f"/api/v1/members/{member_id}", headers=headers), 404, slug="member-not-found"
    )


@pytest.mark.parametrize("member_id", ["ana", "1.5", "0", "-1", str(2**63), "9" * 30])
def test_a_member_id_must_be_a_positive_64_bit_number(client: TestClient, member_id: str) -> None:
    _, headers = member_with_token(client)
    problem = problem_of(client.get(f"/api/v1/members/{member_id}", headers=headers), 422)
    assert fields_of(problem) == ["member_id"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_entry_id_too_large_for_the_database_is_invalid_input(
    client: TestClient, kind: str
) -> None:
    path, _, _ = KINDS[kind]
    _, headers = member_with_token(client)
    for method in ("PATCH", "DELETE"):
        response = client.request(method, f"{path}/{2**64}", json={}, headers=headers)
        field = "position_id" if kind == "positions" else "education_id"
        assert fields_of(problem_of(response, 422, slug="invalid-input")) == [field]


# Positions and education


def test_positions_can_be_added_listed_changed_and_removed(client: TestClient) -> None:
    _, headers = member_with_token(client)
    current = client.post(
        POSITIONS,
        json={"organization": " Acme  Ibérica ", "title": " Ingeniera ", "start": "2019-03"},
        headers=headers,
    )
    assert current.status_code == 201, current.text
    position = current.json()
    assert position["organization"]["name"] == "Acme Ibérica"
    assert position["title"] == "Ingeniera"
    assert (position["start"], position["end"], position["current"]) == ("2019-03", None, True)

    # A year as a number and a full date are accepted; the date is kept to its month.
    past = client.post(
        POSITIONS,
        json={"organization": "Globex", "title": "Becaria", "start": 2015, "end": "2019-02-28"},
        headers=headers,
    )
    assert past.status_code == 201, past.text
    assert (past.json()["start"], past.json()["end"], past.json()["current"]) == (
        "2015",
        "2019-02",
        False,
    )

    listed = client.get(POSITIONS, headers=headers).json()
    assert [entry["id"] for entry in listed] == [position["id"], past.json()["id"]]
    assert client.get(ME, headers=headers).json()["positions"] == listed

    ended = client.patch(f"{POSITIONS}/{position['id']}", json={"end": "2021-06"}, headers=headers)
    assert ended.status_code == 200, ended.text
    assert (ended.json()["end"], ended.json()["current"]) == ("2021-06", False)
    assert ended.json()["title"] == "Ingeniera"

    renamed = client.patch(
        f"{POSITIONS}/{position['id']}",
        json={"title": "Jefa de datos", "organization": "Initech", "end": None},
        headers=headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Jefa de datos"
    assert renamed.json()["organization"]["name"] == "Initech"
    assert (renamed.json()["start"], renamed.json()["end"], renamed.json()["current"]) == (
        "2019-03",
        None,
        True,
    )

    removed = client.delete(f"{POSITIONS}/{position['id']}", headers=headers)
    assert removed.status_code == 204
    assert removed.content == b""
    assert [entry["id"] for entry in client.get(POSITIONS, headers=headers).json()] == [
        past.json()["id"]
    ]
    problem_of(
        client.delete(f"{POSITIONS}/{position['id']}", headers=headers),
        404,
        slug="profile-entry-not-found",
    )


def test_education_can_be_added_listed_changed_and_removed(client: TestClient) -> None:
    _, headers = member_with_token(client)
    added = client.post(
        EDUCATION,
        json={"school": "Universidad de Sevilla", "degree": "Informática", "start": "2010"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert entry["school"]["name"] == "Universidad de Sevilla"
    assert (entry["degree"], entry["start"], entry["end"], entry["current"]) == (
        "Informática",
        "2010",
        None,
        True,
    )
    # The degree may be left out.
    course = client.post(
        EDUCATION, json={"school": "IES Murillo", "start": "2006", "end": "2010"}, headers=headers
    )
    assert course.status_code == 201, course.text
    assert course.json()["degree"] == ""

    finished = client.patch(
        f"{EDUCATION}/{entry['id']}",
        json={"end": "2015-06", "degree": "Ingeniería"},
        headers=headers,
    )
    assert finished.status_code == 200, finished.text
    assert (finished.json()["degree"], finished.json()["end"]) == ("Ingeniería", "2015-06")
    listed = client.get(EDUCATION, headers=headers).json()
    assert [item["id"] for item in listed] == [entry["id"], course.json()["id"]]
    assert client.get(ME, headers=headers).json()["education"] == listed

    assert client.delete(f"{EDUCATION}/{course.json()['id']}", headers=headers).status_code == 204
    assert [item["id"] for item in client.get(EDUCATION, headers=headers).json()] == [entry["id"]]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("period", "field"),
    [
        ({"start": "2019-06", "end": "2019-05"}, "end"),
        ({"start": "2019", "end": "2018-12"}, "end"),
        ({"start": "2019-13"}, "start"),
        ({"start": "2019-00"}, "start"),
        ({"start": "2019-3"}, "start"),
        ({"start": "19"}, "start"),
        ({"start": "1899"}, "start"),
        ({"start": "2101"}, "start"),
        ({"start": "marzo"}, "start"),
        ({"start": ""}, "start"),
        ({"start": None}, "start"),
        ({"start": True}, "start"),
        ({"start": "2019", "end": "2020-13"}, "end"),
        ({"start": "2019-02-30x"}, "start"),
    ],
)
def test_a_bad_period_is_refused_naming_its_field(
    client: TestClient, kind: str, period: dict[str, Any], field: str
) -> None:
    path, place_field, label_field = KINDS[kind]
    _, headers = member_with_token(client)
    body = {place_field: "Acme", label_field: "Algo", **period}
    problem = problem_of(client.post(path, json=body, headers=headers), 422, slug="invalid-input")
    assert fields_of(problem) == [field]
    assert client.get(path, headers=headers).json() == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_end_and_start_in_the_same_month_or_year_are_fine(client: TestClient, kind: str) -> None:
    path, place_field, label_field = KINDS[kind]
    _, headers = member_with_token(client)
    for start, end in [("2019-06", "2019-06"), ("2019-06", "2019"), ("2019", "2019-01")]:
        body = _entry(place_field, label_field, "Acme", start=start, end=end)
        added = client.post(path, json=body, headers=headers)
        assert added.status_code == 201, added.text
        assert (added.json()["start"], added.json()["end"]) == (start, end)


@pytest.mark.parametrize("kind", KINDS)
def test_a_patch_that_puts_the_end_before_the_start_changes_nothing(
    client: TestClient, kind: str
) -> None:
    path, place_field, label_field = KINDS[kind]
    _, headers = member_with_token(client)
    body = _entry(place_field, label_field, "Acme", start="2019-03", end="2021")
    entry = client.post(path, json=body, headers=headers).json()
    for change in ({"end": "2019-02"}, {"start": "2022"}, {"start": "2023", label_field: "Otra"}):
        refused = client.patch(f"{path}/{entry['id']}", json=change, headers=headers)
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["end"]
    assert client.get(path, headers=headers).json() == [entry]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": None}, "start"),
        ({"place": None}, "place"),
        ({"place": ""}, "place"),
        ({"label": None}, "label"),
        ({"end": "2019-13"}, "end"),
        ({"member_id": 1}, "member_id"),
    ],
)
def test_an_invalid_entry_patch_is_refused(
    client: TestClient, kind: str, change: dict[str, Any], field: str
) -> None:
    path, place_field, label_field = KINDS[kind]
    names = {"place": place_field, "label": label_field}
    change = {names.get(key, key): value for key, value in change.items()}
    field = names.get(field, field)
    _, headers = member_with_token(client)
    entry = client.post(path, json=_entry(place_field, label_field, "Acme"), headers=headers).json()
    refused = client.patch(f"{path}/{entry['id']}", json=change, headers=headers)
    assert field in fields_of(problem_of(refused, 422, slug="invalid-input"))
    assert client.get(path, headers=headers).json() == [entry]


@pytest.mark.parametrize("kind", KINDS)
def test_a_new_entry_needs_its_place_and_start(client: TestClient, kind: str) -> None:
    path, place_field, _ = KINDS[kind]
    _, headers = member_with_token(client)
    problem = problem_of(client.post(path, json={}, headers=headers), 422, slug="invalid-input")
    assert {place_field, "start"} <= set(fields_of(problem))
    problem = problem_of(
        client.post(path, json={place_field: "   ", "start": "2019"}, headers=headers), 422
    )
    assert place_field in fields_of(problem)


@pytest.mark.parametrize("kind", KINDS)
def test_another_members_entry_is_not_found(client: TestClient, kind: str) -> None:
    path, place_field, label_field = KINDS[kind]
    _, owner_headers = member_with_token(client, name="Dueña")
    _, other_headers = member_with_token(client, name="Otra")
    entry = client.post(
        path, json=_entry(place_field, label_field, "Acme"), headers=owner_headers
    ).json()

    patched = client.patch(f"{path}/{entry['id']}", json={"end": "2020"}, headers=other_headers)
    problem_of(patched, 404, slug="profile-entry-not-found")
    deleted = client.delete(f"{path}/{entry['id']}", headers=other_headers)
    problem_of(deleted, 404, slug="profile-entry-not-found")
    problem_of(
        client.patch(f"{path}/987654", json={"end": "2020"}, headers=owner_headers),
        404,
        slug="profile-entry-not-found",
    )
    assert client.get(path, headers=owner_headers).json() == [entry]
    assert client.get(path, headers=other_headers).json() == []


def test_a_position_id_is_not_an_education_id(client: TestClient) -> None:
    _, headers = member_with_token(client)
    position = client.post(
        POSITIONS,
        json={"organization": "Acme", "title": "Ingeniera", "start": "2019"},
        headers=headers,
    ).json()
    problem_of(client.delete(f"{EDUCATION}/{position['id']}", headers=headers), 404)
    assert len(client.get(POSITIONS, headers=headers).json()) == 1


@pytest.mark.parametrize(
    ("kind", "limit"), [("positions", POSITIONS_PER_MEMBER), ("education", EDUCATION_PER_MEMBER)]
)
def test_a_profile_holds_a_limited_number_of_entries(
    client: TestClient, kind: str, limit: int
) -> None:
    path, place_field, label_field = KINDS[kind]
    _, headers = member_with_token(client)
    ids = []
    for number in range(limit):
        body = _entry(
            place_field, label_field, f"Lugar {number % 7}", start=str(1950 + number % 70)
        )
        added = client.post(path, json=body, headers=headers)
        assert added.status_code == 201, added.text
        ids.append(added.json()["id"])

    refused = client.post(path, json=_entry(place_field, label_field, "Uno más"), headers=headers)
    problem = problem_of(refused, 409, slug="profile-entry-limit")
    assert str(limit) in problem["detail"]
    assert len(client.get(path, headers=headers).json()) == limit

    # Room again once one is removed.
    assert client.delete(f"{path}/{ids[0]}", headers=headers).status_code == 204
    again = client.post(path, json=_entry(place_field, label_field, "Uno más"), headers=headers)
    assert again.status_code == 201, again.text


# Shared organizations and schools


def test_spellings_of_one_organization_are_one_organization(
    client: TestClient, database: Database
) -> None:
    _, ana_headers = member_with_token(client, name="Ana")
    _, beto_headers = member_with_token(client, name="Beto")
    added = [
        client.post(
            POSITIONS,
            json={"organization": name, "title": "Ingeniería", "start": "2019"},
            headers=headers,
        )
        for name, headers in [
            ("Acme Ibérica", ana_headers),
            ("ACME IBERICA", beto_headers),
            ("acme ibérica ", ana_headers),
            ("Acme  Iberica", beto_headers),
        ]
    ]
    assert all(response.status_code == 201 for response in added)
    organizations = {response.json()["organization"]["id"] for response in added}
    assert len(organizations) == 1
    # The first spelling names the organization for everyone.
    assert {response.json()["organization"]["name"] for response in added} == {"Acme Ibérica"}

    # Changing a position to another spelling of a known organization finds that organization.
    other = client.post(
        POSITIONS,
        json={"organization": "Globex", "title": "Ingeniería", "start": "2010"},
        headers=beto_headers,
    ).json()
    moved = client.patch(
        f"{POSITIONS}/{other['id']}", json={"organization": "ACME ibérica"}, headers=beto_headers
    )
    assert moved.json()["organization"]["id"] in organizations

    with database.unit_of_work(write=False) as db:
        rows = db.execute(select(Organization.id, Organization.name, Organization.name_key)).all()
        pointed = set(db.scalars(select(Position.organization_id)))
    acme = [row for row in rows if row.name == "Acme Ibérica"]
    assert len(acme) == 1
    assert acme[0].name_key == "acme iberica"
    assert pointed == {acme[0].id}
    assert {row.name for row in rows} == {"Acme Ibérica", "Globex"}


def test_spellings_of_one_school_are_one_school(client: TestClient, database: Database) -> None:
    _, ana_headers = member_with_token(client, name="Ana")
    _, beto_headers = member_with_token(client, name="Beto")
    for name, headers in [
        ("Universidad de Sevilla", ana_headers),
        ("UNIVERSIDAD DE SEVILLA", beto_headers),
        (" universidad  de sevilla", beto_headers),
    ]:
        added = client.post(EDUCATION, json={"school": name, "start": "2010"}, headers=headers)
        assert added.status_code == 201, added.text
    with database.unit_of_work(write=False) as db:
        schools = db.execute(select(School.id, School.name)).all()
        pointed = set(db.scalars(select(Education.school_id)))
    assert [school.name for school in schools] == ["Universidad de Sevilla"]
    assert pointed == {schools[0].id}


@pytest.mark.parametrize("kind", KINDS)
def test_two_members_naming_a_new_place_at_once_share_it(
    client: TestClient, other_client: TestClient, database: Database, kind: str
) -> None:
    path, place_field, label_field = KINDS[kind]
    _, first_headers = member_with_token(client, name="Ana")
    _, second_headers = member_with_token(other_client, name="Beto")
    barrier = threading.Barrier(2)

    def add(test_client: TestClient, headers: dict[str, str], spelling: str) -> Any:
        body = _entry(place_field, label_field, spelling)
        barrier.wait(timeout=30)
        return test_client.post(path, json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(add, client, first_headers, "Nueva Compañía")
        second = pool.submit(add, other_client, second_headers, "NUEVA COMPANIA")
        responses = [first.result(), second.result()]

    assert [response.status_code for response in responses] == [201, 201], [
        response.text for response in responses
    ]
    place_ids = {response.json()[place_field]["id"] for response in responses}
    assert len(place_ids) == 1
    model = Organization if kind == "positions" else School
    with database.unit_of_work(write=False) as db:
        count = db.scalar(select(func.count()).select_from(model))
        key = db.scalar(select(model.name_key))
    assert count == 1
    assert key == "nueva compania"
