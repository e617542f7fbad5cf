"""Member search: by name, headline, organization and school, in pages, through the API and the
search page."""

from __future__ import annotations

import base64
import html
import json
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    bearer,
    connect,
    fields_of,
    log_in_page,
    member_with_token,
    new_email,
    problem_of,
    register,
    token_for,
)
from vinculo.pagination import DEFAULT_LIMIT, MAX_LIMIT
from vinculo.text import fold

SEARCH = "/api/v1/members"


def _search(client: TestClient, headers: dict[str, str], q: str, **params: Any) -> dict[str, Any]:
    response = client.get(SEARCH, params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _names(client: TestClient, headers: dict[str, str], q: str) -> list[str]:
    page = _search(client, headers, q, limit=MAX_LIMIT)
    assert page["next_cursor"] is None
    return [member["name"] for member in page["items"]]


def _member(
    client: TestClient,
    name: str,
    *,
    headline: str = "",
    organization: str | None = None,
    school: str | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    member, headers = member_with_token(client, name=name)
    if headline:
        changed = client.patch("/api/v1/members/me", json={"headline": headline}, headers=headers)
        assert changed.status_code == 200, changed.text
    if organization:
        added = client.post(
            "/api/v1/members/me/positions",
            json={"organization": organization, "title": "Equipo", "start": "2018"},
            headers=headers,
        )
        assert added.status_code == 201, added.text
    if school:
        added = client.post(
            "/api/v1/members/me/education",
            json={"school": school, "start": "2008"},
            headers=headers,
        )
        assert added.status_code == 201, added.text
    return member, headers


@pytest.fixture
def community(client: TestClient) -> dict[str, str]:
    """A few members to find; the headers of the one who searches."""
    _member(client, "José Pérez", headline="Ingeniero de datos", organization="Telefónica")
    _member(client, "Josefina Ruiz", headline="Diseñadora", school="Universidad de Málaga")
    _, lucia_headers = _member(
        client, "Lucía Gómez", headline="Jefa de ingeniería", organization="Acme Ibérica"
    )
    placed = client.patch(
        "/api/v1/members/me",
        json={"location": "Sevilla", "sector": "Energía"},
        headers=lucia_headers,
    )
    assert placed.status_code == 200, placed.text
    _member(client, "Pedro Sánchez", headline="Contable", school="IES Murillo")
    _, headers = _member(client, "Zoe Buscadora")
    return headers


@pytest.mark.parametrize(
    ("q", "names"),
    [
        # The last word is the start of a word while it is being typed; the others are words.
        ("jose", ["José Pérez", "Josefina Ruiz"]),
        ("JOSÉ", ["José Pérez", "Josefina Ruiz"]),
        ("José ", ["José Pérez"]),
        ("  José  ", ["José Pérez"]),
        ("perez", ["José Pérez"]),
        ("Ingeniero", ["José Pérez"]),
        ("ingenier", ["José Pérez", "Lucía Gómez"]),
        ("INGENIERÍA", ["Lucía Gómez"]),
        ("telefonica", ["José Pérez"]),
        ("Acme iberica", ["Lucía Gómez"]),
        ("universidad de malaga", ["Josefina Ruiz"]),
        ("murillo", ["Pedro Sánchez"]),
        ("jose telefónica", ["José Pérez"]),
        ("málaga josefina", ["Josefina Ruiz"]),
        # Locations and sectors, shown on every card, find too.
        ("sevilla", ["Lucía Gómez"]),
        ("energia", ["Lucía Gómez"]),
        # A word of five letters or more forgives one typo: a letter changed, dropped, added or
        # two swapped; exact matches come first.
        ("telefnica", ["José Pérez"]),
        ("telefonicca", ["José Pérez"]),
        ("murilol", ["Pedro Sánchez"]),
        ("sevila", ["Lucía Gómez"]),
        ("jose acme", []),
        ("lucia telefonica", []),
        ("nadie", []),
        ("%", []),
        ("_", []),
        ("\\", []),
        ("-- ", []),
    ],
)
def test_search_finds_every_word_anywhere_on_the_profile(
    client: TestClient, community: dict[str, str], q: str, names: list[str]
) -> None:
    assert _names(client, community, q) == names


def test_names_fold_the_same_way_in_spanish_and_english(client: TestClient) -> None:
    _member(client, "Ana Muñoz")
    _member(client, "Zoë O'Brien-Peña")
    _, headers = _member(client, "Buscadora")
    for q, name in [
        ("munoz", "Ana Muñoz"),
        ("MUÑOZ", "Ana Muñoz"),
        # "O'Brien" is the words "o" and "brien": "obrien" is one letter off the second.
        ("zoe obrien", "Zoë O'Brien-Peña"),
        ("zoe o brien pena", "Zoë O'Brien-Peña"),
        ("Peña", "Zoë O'Brien-Peña"),
    ]:
        assert _names(client, headers, q) == ([name] if isinstance(name, str) else name), q


def test_an_empty_query_lists_everyone_yourself_first(
    client: TestClient, community: dict[str, str]
) -> None:
    everyone = _names(client, community, "")
    assert everyone == [
        "Zoe Buscadora",
        "José Pérez",
        "Josefina Ruiz",
        "Lucía Gómez",
        "Pedro Sánchez",
    ]
    assert _search(client, community, "zoe")["items"][0]["degree"] == 0
    assert _search(client, community, "")["total"] == 5


def test_results_carry_the_degree_to_the_viewer(client: TestClient) -> None:
    ana, ana_headers = _member(client, "Ana Grado")
    beto, beto_headers = _member(client, "Beto Grado")
    carla, carla_headers = _member(client, "Carla Grado")
    _member(client, "Dani Grado")
    connect(client, ana_headers, to=beto["id"], to_headers=beto_headers)
    connect(client, beto_headers, to=carla["id"], to_headers=carla_headers)
    found = _search(client, ana_headers, "grado")["items"]
    assert [(member["name"], member["degree"]) for member in found] == [
        ("Ana Grado", 0),
        ("Beto Grado", 1),
        ("Carla Grado", 2),
        ("Dani Grado", None),
    ]
    assert set(found[0]) == {
        "id",
        "name",
        "headline",
        "location",
        "photo_url",
        "degree",
        "mutual_count",
        "matched",
    }
    assert [member["mutual_count"] for member in found] == [0, 0, 1, 0]
    assert found[0]["id"] == ana["id"]
    assert found[1]["matched"] == ["1st degree"]
    assert found[2]["matched"] == ["2nd degree · 1 mutual connection"]
    assert found[3]["matched"] == []


def test_search_follows_profile_changes(client: TestClient) -> None:
    member, headers = _member(client, "Marta Cambio", organization="Initech")
    _, viewer = _member(client, "Observadora")
    assert _names(client, viewer, "initech") == ["Marta Cambio"]

    position = client.get("/api/v1/members/me/positions", headers=headers).json()[0]
    moved = client.patch(
        f"/api/v1/members/me/positions/{position['id']}",
        json={"organization": "Globex"},
        headers=headers,
    )
    assert moved.status_code == 200
    assert _names(client, viewer, "initech") == []
    assert _names(client, viewer, "globex") == ["Marta Cambio"]

    client.patch("/api/v1/members/me", json={"name": "Marta Núñez"}, headers=headers)
    assert _names(client, viewer, "cambio") == []
    assert _names(client, viewer, "nunez globex") == ["Marta Núñez"]

    refused = client.patch(
        f"/api/v1/members/me/positions/{position['id']}",
        json={"organization": "Hooli", "end": "1990"},
        headers=headers,
    )
    assert refused.status_code == 422
    assert _names(client, viewer, "hooli") == []
    assert _names(client, viewer, "globex") == ["Marta Núñez"]

    client.delete(f"/api/v1/members/me/positions/{position['id']}", headers=headers)
    assert _names(client, viewer, "globex") == []
    assert member["id"]


def test_a_blocked_member_is_not_found_either_way(client: TestClient) -> None:
    ana, ana_headers = _member(client, "Ana Bloqueo")
    beto, beto_headers = _member(client, "Beto Bloqueo")
    _member(client, "Carla Bloqueo")
    blocked = client.post("/api/v1/blocks", json={"member": beto["id"]}, headers=ana_headers)
    assert blocked.status_code == 201, blocked.text
    assert _names(client, ana_headers, "bloqueo") == ["Ana Bloqueo", "Carla Bloqueo"]
    assert _names(client, beto_headers, "bloqueo") == ["Beto Bloqueo", "Carla Bloqueo"]
    assert _search(client, ana_headers, "bloqueo")["total"] == 2
    assert ana["id"]


# Pages of results

# First names none of which begins another, so that any collation orders them as Python does.
_FIRST_NAMES = [
    "Álvaro", "Alvaro", "ALVARO", "Beatriz", "Carmen", "Ñandú", "Nuria", "Óscar", "Olga", "Zoe",
    "Íñigo", "Irene", "Esther", "Émile", "Elena", "Diego", "Dolores", "Fátima", "Gonzalo", "Hugo",
    "Julia", "Karim", "Marta", "Raúl", "Sofía",
]  # fmt: skip


@pytest.fixture
def many(client: TestClient) -> tuple[dict[str, str], list[int]]:
    """Twenty-five members who share a headline, and the ids of all of them in name order (none
    is near the one searching: they come by name)."""
    found: list[tuple[str, int]] = []
    for first in _FIRST_NAMES:
        name = f"{first} Paginado"
        member, _ = _member(client, name, headline="Equipo de paginación")
        found.append((fold(name), member["id"]))
    _member(client, "Otro Equipo", headline="Equipo de ventas")
    _, headers = _member(client, "Observadora")
    return headers, [member_id for _, member_id in sorted(found)]


@pytest.mark.parametrize("limit", [1, 4, 7, 24, 25, 26])
def test_walking_the_pages_gives_every_match_once_in_order(
    client: TestClient, many: tuple[dict[str, str], list[int]], limit: int
) -> None:
    headers, expected = many
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = _search(client, headers, "PAGINACION", **params)
        pages += 1
        assert len(page["items"]) <= limit
        seen.extend(member["id"] for member in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(page["items"]) == limit
        assert pages <= len(expected)
    assert seen == expected
    assert len(set(seen)) == len(seen)
    assert pages == -(-len(expected) // limit)


def test_the_default_page_size(client: TestClient, many: tuple[dict[str, str], list[int]]) -> None:
    headers, expected = many
    first = _search(client, headers, "paginacion")
    assert [member["id"] for member in first["items"]] == expected[:DEFAULT_LIMIT]
    rest = _search(client, headers, "paginacion", cursor=first["next_cursor"])
    assert [member["id"] for member in rest["items"]] == expected[DEFAULT_LIMIT:]
    assert rest["next_cursor"] is None


def test_a_cursor_keeps_its_place_when_members_join(
    client: TestClient, many: tuple[dict[str, str], list[int]]
) -> None:
    headers, expected = many
    first = _search(client, headers, "paginacion", limit=10)
    early, _ = _member(client, "Aaron Paginado", headline="Equipo de paginación")
    late, _ = _member(client, "Zulema Paginado", headline="Equipo de paginación")
    rest = _search(client, headers, "paginacion", limit=100, cursor=first["next_cursor"])
    ids = [member["id"] for member in rest["items"]]
    assert ids == [*expected[10:], late["id"]]
    assert early["id"] not in ids


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "!!!",
        "eyJ",
        _cursor(["ana", 1]),
        _cursor([1, 4, 0, "ana"]),
        _cursor([1, 4, 0, "ana", 1, 2]),
        _cursor([1, 4, 0, 1, "ana"]),
        _cursor({"name": "ana", "id": 1}),
        _cursor([1, 4, 0, "ana", 1.5]),
        _cursor([1, 4, 0, "ana", True]),
        _cursor([1, 4, 0, "ana", None]),
        _cursor(["1", 4, 0, "ana", 1]),
        _cursor("ana"),
        base64.urlsafe_b64encode(b"\xff\xfe[]").decode(),
        # Values no database column can be compared with.
        _cursor([1, 4, 0, "ana", 2**63]),
        _cursor([1, 4, 0, "ana", -(2**63) - 1]),
        _cursor([1, 4, 0, "ana\u0000", 1]),
    ],
)
def test_a_tampered_cursor_is_invalid_input(
    client: TestClient, many: tuple[dict[str, str], list[int]], cursor: str
) -> None:
    headers, _ = many
    response = client.get(SEARCH, params={"q": "paginacion", "cursor": cursor}, headers=headers)
    assert fields_of(problem_of(response, 422, slug="invalid-input")) == ["cursor"]


def test_a_cursor_of_the_right_shape_with_odd_values_is_harmless(
    client: TestClient, many: tuple[dict[str, str], list[int]]
) -> None:
    """A cursor is only a place in the order: any level, closeness, name and id of the right
    types is one. These members all match by their headline (level 1) and are strangers to the
    one searching (closeness 4)."""
    headers, expected = many
    for cursor, ids in [
        (_cursor([1, 4, 0, "", 0]), expected),
        (_cursor([1, 4, 0, "zzzz", 0]), []),
        (_cursor([1, 4, 0, "ñ", -5]), []),
        (_cursor([1, 4, 0, "alvaro paginado", 2**62]), expected[3:]),
        (_cursor([1, 4, 0, "alvaro paginado", 2**63 - 1]), expected[3:]),
        (_cursor([1, 4, 0, "alvaro paginado", -(2**63)]), expected),
        (_cursor([0, 0, 0, "zzzz", 0]), expected),
        (_cursor([1, 0, -99, "zzzz", 2**63 - 1]), expected),
        (_cursor([2, 0, 0, "", 0]), []),
        (_cursor([-5, 9, 2**62, "", 0]), expected),
    ]:
        page = _search(client, headers, "paginacion", cursor=cursor, limit=MAX_LIMIT)
        assert [member["id"] for member in page["items"]] == ids


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_search_parameters_are_invalid_input(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    _, headers = member_with_token(client)
    problem = problem_of(client.get(SEARCH, params=params, headers=headers), 422)
    assert fields_of(problem) == [field]


def test_a_query_with_a_nul_character_is_invalid_input(client: TestClient) -> None:
    _, headers = member_with_token(client)
    response = client.get(SEARCH, params={"q": "ana\x00"}, headers=headers)
    assert fields_of(problem_of(response, 422, slug="invalid-input")) == ["q"]


def test_the_largest_page_is_allowed(client: TestClient) -> None:
    _, headers = member_with_token(client)
    assert len(_search(client, headers, "", limit=MAX_LIMIT)["items"]) == 1


def test_search_needs_a_token(client: TestClient) -> None:
    member_with_token(client)
    problem_of(client.get(SEARCH, params={"q": "ana"}), 401, slug="not-authenticated")
    problem_of(
        client.get(SEARCH, params={"q": "ana"}, headers=bearer("forged")),
        401,
        slug="not-authenticated",
    )


# The search page

_MORE = re.compile(r'<a [^>]*rel="next" href="([^"]+)"')


def test_the_search_page_shows_results_and_a_link_to_more(client: TestClient) -> None:
    names = [f"{first} Paginado" for first in _FIRST_NAMES]
    for name in names:
        register(client, name=name)
    email = new_email()
    register(client, name="Buscadora Web", email=email)
    token_for(client, email)
    log_in_page(client, email)

    first = client.get("/search", params={"q": "paginado"})
    assert first.status_code == 200
    assert "text/html" in first.headers["content-type"]
    shown = [name for name in names if html.escape(name) in first.text]
    assert len(shown) == DEFAULT_LIMIT
    assert "Buscadora Web</a>" not in first.text
    more = _MORE.search(first.text)
    assert more, "the first page links to more results"
    assert "More results" in first.text

    second = client.get(html.unescape(more.group(1)))
    assert second.status_code == 200
    rest = [name for name in names if html.escape(name) in second.text]
    assert sorted(shown + rest) == sorted(names)
    assert not set(shown) & set(rest)
    assert _MORE.search(second.text) is None


def test_the_search_page_says_when_nothing_matches(client: TestClient) -> None:
    email = new_email()
    register(client, name="Buscadora Web", email=email)
    log_in_page(client, email)
    page = client.get("/search", params={"q": "nadie así"})
    assert page.status_code == 200
    assert "Nobody matches that yet." in page.text
    assert "forgive one typo" in page.text
    assert 'value="nadie así"' in page.text
    assert _MORE.search(page.text) is None
    spanish = client.get("/search", params={"q": "nadie"}, headers={"Accept-Language": "es"})
    assert "Nadie coincide todavía." in spanish.text


def test_the_search_page_refuses_a_tampered_cursor(client: TestClient) -> None:
    email = new_email()
    register(client, name="Buscadora Web", email=email)
    log_in_page(client, email)
    page = client.get("/search", params={"q": "x", "cursor": "garbage"})
    assert page.status_code == 422
    assert "text/html" in page.headers["content-type"]


def test_the_search_page_is_for_members(client: TestClient) -> None:
    response = client.get("/search", params={"q": "ana"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/search%3Fq%3Dana"
