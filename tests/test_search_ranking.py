"""Search ranks who you may know first: the text, then closeness (connections, people who were
at your organizations and schools at the same time, the 2nd degree, the same places in other
years, everyone else); says why each was found; filters with facets; the colleague and
classmate finder; the index kept in the profile's transaction, also when edits race."""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import Barrier
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import (
    PASSWORD,
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
from vinculo.pagination import MAX_LIMIT
from vinculo.search import service as search_service

SEARCH = "/api/v1/members"


@dataclass
class Person:
    id: int
    name: str
    headers: dict[str, str]


def _person(
    client: TestClient,
    name: str,
    *,
    positions: tuple[tuple[str, str, str, str | None], ...] = (),
    studies: tuple[tuple[str, str, str | None], ...] = (),
    **fields: str,
) -> Person:
    """A member with profile fields and positions (organization, title, start, end) and
    studies (school, start, end)."""
    member, headers = member_with_token(client, name=name)
    if fields:
        changed = client.patch("/api/v1/members/me", json=fields, headers=headers)
        assert changed.status_code == 200, changed.text
    for organization, title, start, end in positions:
        body: dict[str, Any] = {"organization": organization, "title": title, "start": start}
        if end:
            body["end"] = end
        added = client.post("/api/v1/members/me/positions", json=body, headers=headers)
        assert added.status_code == 201, added.text
    for school, start, end in studies:
        body = {"school": school, "start": start, **({"end": end} if end else {})}
        added = client.post("/api/v1/members/me/education", json=body, headers=headers)
        assert added.status_code == 201, added.text
    return Person(member["id"], name, headers)


def _search(client: TestClient, who: Person, q: str = "", **params: Any) -> dict[str, Any]:
    response = client.get(SEARCH, params={"q": q, **params}, headers=who.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def _walk(
    client: TestClient, who: Person, q: str, *, limit: int, total: int | None = None
) -> list[str]:
    """The names on every page of a search, following the cursors; each page's total checked
    when given."""
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = _search(client, who, q, **params)
        seen.extend(_names(page))
        if total is not None:
            assert page["total"] == total
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


@dataclass
class Circle:
    viewer: Person
    people: dict[str, Person]


@pytest.fixture
def circle(client: TestClient) -> Circle:
    """Eight Ortegas around a viewer who worked at Swiftcourier 2019–2021 and studied at the
    University of Leeds 2010–2014: a connection, a colleague of the same years, a classmate of
    the same years, a 2nd-degree member with two mutual connections and one with one, a
    Swiftcourier employee of other years, and two strangers (one whose headline only mentions
    the name)."""
    viewer = _person(
        client,
        "Vera Viewer",
        positions=(("Swiftcourier", "Analyst", "2019", "2021"),),
        studies=(("University of Leeds", "2010", "2014"),),
    )
    people = {
        "friend": _person(client, "Zacarías Ortega"),
        "colleague": _person(
            client, "Yolanda Ortega", positions=(("Swiftcourier", "Driver", "2020", "2022"),)
        ),
        "classmate": _person(
            client, "Xavier Ortega", studies=(("University of Leeds", "2012", "2016"),)
        ),
        "second_two": _person(client, "Wendy Ortega"),
        "second_one": _person(client, "Ursula Ortega"),
        "same_place": _person(
            client, "Tomás Ortega", positions=(("Swiftcourier", "Manager", "2010", "2012"),)
        ),
        "stranger": _person(client, "Ana Ortega", location="Leeds", sector="Logistics"),
        "headline": _person(client, "Aaron Smith", headline="Ortegal fan"),
        "bridge_a": _person(client, "Bea Puente"),
        "bridge_b": _person(client, "Carl Puente"),
    }
    for bridge in ("bridge_a", "bridge_b"):
        connect(client, viewer.headers, to=people[bridge].id, to_headers=people[bridge].headers)
        other = people["second_two"]
        connect(client, people[bridge].headers, to=other.id, to_headers=other.headers)
    connect(
        client,
        people["bridge_a"].headers,
        to=people["second_one"].id,
        to_headers=people["second_one"].headers,
    )
    friend = people["friend"]
    connect(client, viewer.headers, to=friend.id, to_headers=friend.headers)
    return Circle(viewer, people)


def test_the_closest_come_first_and_say_why(client: TestClient, circle: Circle) -> None:
    page = _search(client, circle.viewer, "ortega")
    assert _names(page) == [
        "Zacarías Ortega",  # 1st degree
        "Xavier Ortega",  # studied at Leeds in overlapping years
        "Yolanda Ortega",  # worked at Swiftcourier in overlapping years
        "Wendy Ortega",  # 2nd degree, two mutual connections
        "Ursula Ortega",  # 2nd degree, one
        "Tomás Ortega",  # Swiftcourier, other years
        "Ana Ortega",  # a stranger, by name
        "Aaron Smith",  # the headline's "Ortegal": not the name, after every name match
    ]
    assert page["total"] == 8
    assert page["total_exact"] is True
    why = {item["name"]: item["matched"] for item in page["items"]}
    assert why["Zacarías Ortega"] == ["1st degree"]
    assert why["Xavier Ortega"] == [
        "Studied at University of Leeds 2012–2014, at the same time as you"
    ]
    assert why["Yolanda Ortega"] == ["Worked at Swiftcourier 2020–2021, at the same time as you"]
    assert why["Wendy Ortega"] == ["2nd degree · 2 mutual connections"]
    assert why["Ursula Ortega"] == ["2nd degree · 1 mutual connection"]
    assert why["Tomás Ortega"] == ["Also worked at Swiftcourier"]
    assert why["Ana Ortega"] == []
    assert why["Aaron Smith"] == ["Matches the headline"]
    degrees = {item["name"]: item["degree"] for item in page["items"]}
    assert degrees["Zacarías Ortega"] == 1
    assert degrees["Wendy Ortega"] == 2
    assert degrees["Ana Ortega"] is None


def test_the_why_names_what_matched_in_the_viewers_language(
    client: TestClient, circle: Circle
) -> None:
    page = _search(client, circle.viewer, "swiftcourier")
    assert _names(page) == ["Vera Viewer", "Yolanda Ortega", "Tomás Ortega"]
    why = {item["name"]: item["matched"] for item in page["items"]}
    assert why["Tomás Ortega"] == ["Manager at Swiftcourier, 2010–2012"]
    assert why["Yolanda Ortega"] == ["Worked at Swiftcourier 2020–2021, at the same time as you"]

    typo = _search(client, circle.viewer, "swiftcurier")
    assert _names(typo) == _names(page)
    assert typo["items"][2]["matched"] == [
        "“swiftcurier” read as “swiftcourier”",
        "Manager at Swiftcourier, 2010–2012",
    ]
    leeds = client.get(
        SEARCH, params={"q": "leeds"}, headers={**circle.viewer.headers, "Accept-Language": "es"}
    ).json()
    why = {item["name"]: item["matched"] for item in leeds["items"]}
    assert why["Ana Ortega"] == ["Vive en Leeds"]
    assert why["Xavier Ortega"] == ["Estudió en University of Leeds 2012–2014, a la vez que tú"]


def test_a_name_match_outranks_a_near_member_matched_elsewhere(
    client: TestClient, circle: Circle
) -> None:
    ortegal = _person(client, "Olga Ortegal")
    page = _search(client, circle.viewer, "ortegal")
    # By name, then the headline's word; "ortegal" is a word of the vocabulary, so it is not
    # read as a typo of "ortega".
    assert _names(page) == ["Olga Ortegal", "Aaron Smith"]
    assert page["total"] == 2
    assert ortegal.id == page["items"][0]["id"]
    # Mistyped, it finds both spellings' neighbours: "ortegl" is one letter off "ortega" and
    # "ortegal".
    typo = _search(client, circle.viewer, "ortegl")
    assert _names(typo)[:2] == ["Zacarías Ortega", "Xavier Ortega"]
    assert typo["total"] == 9
    assert typo["items"][0]["matched"] == ["“ortegl” read as “ortega”", "1st degree"]


def test_the_degree_filter_and_its_facet(client: TestClient, circle: Circle) -> None:
    everyone = _search(client, circle.viewer, "ortega")
    degrees = {facet["value"]: facet["count"] for facet in everyone["facets"]["degree"]}
    assert degrees == {1: 1, 2: 2, 3: 5}
    assert _names(_search(client, circle.viewer, "ortega", degree=1)) == ["Zacarías Ortega"]
    second = _search(client, circle.viewer, "ortega", degree=2)
    assert _names(second) == ["Wendy Ortega", "Ursula Ortega"]
    assert second["total"] == 2
    third = _search(client, circle.viewer, "ortega", degree=3)
    assert _names(third) == [
        "Xavier Ortega",
        "Yolanda Ortega",
        "Tomás Ortega",
        "Ana Ortega",
        "Aaron Smith",
    ]
    assert third["total"] == 5
    paged = _search(client, circle.viewer, "ortega", degree=3, limit=2)
    rest = _search(client, circle.viewer, "ortega", degree=3, cursor=paged["next_cursor"])
    assert _names(paged) + _names(rest) == _names(third)
    assert rest["total"] == 5
    assert rest["facets"] is None


def test_filters_by_organization_school_location_and_sector(
    client: TestClient, circle: Circle
) -> None:
    page = _search(client, circle.viewer, "ortega")
    facets = page["facets"]
    assert {"value": "Swiftcourier", "count": 2} in facets["organization"]
    assert {"value": "University of Leeds", "count": 1} in facets["school"]
    assert facets["location"] == [{"value": "Leeds", "count": 1}]
    assert facets["sector"] == [{"value": "Logistics", "count": 1}]
    at = _search(client, circle.viewer, "ortega", organization="SWIFTCOURIER")
    assert _names(at) == ["Yolanda Ortega", "Tomás Ortega"]
    assert at["facets"]["organization"] == [{"value": "Swiftcourier", "count": 2}]
    same_time = _search(client, circle.viewer, "", organization="Swiftcourier", same_time=True)
    assert _names(same_time) == ["Vera Viewer", "Yolanda Ortega"]
    assert _names(_search(client, circle.viewer, "", school="university of leeds")) == [
        "Vera Viewer",
        "Xavier Ortega",
    ]
    assert _names(_search(client, circle.viewer, "", location="leeds")) == ["Ana Ortega"]
    assert _names(_search(client, circle.viewer, "ana", sector="Logística")) == []
    assert _names(_search(client, circle.viewer, "", sector="logistics")) == ["Ana Ortega"]
    # Anyone who overlapped with me anywhere.
    assert _names(_search(client, circle.viewer, "", same_time=True)) == [
        "Vera Viewer",
        "Xavier Ortega",
        "Yolanda Ortega",
    ]


def test_the_colleague_finder_puts_overlapping_years_first(
    client: TestClient, circle: Circle
) -> None:
    """From an organization: those who were there in the viewer's years first (even before a
    connection who was there at another time), then the rest, each group by closeness."""
    late = _person(client, "Alba Tarde", positions=(("Swiftcourier", "Driver", "2024", None),))
    friend = _person(client, "Bruno Amigo", positions=(("Swiftcourier", "Driver", "2005", "2008"),))
    connect(client, circle.viewer.headers, to=friend.id, to_headers=friend.headers)
    page = _search(client, circle.viewer, "", organization="Swiftcourier")
    assert _names(page) == [
        "Vera Viewer",
        "Yolanda Ortega",
        "Bruno Amigo",
        "Alba Tarde",
        "Tomás Ortega",
    ]
    why = {item["name"]: item["matched"] for item in page["items"]}
    assert why["Yolanda Ortega"] == ["Worked at Swiftcourier 2020–2021, at the same time as you"]
    assert why["Bruno Amigo"] == ["Driver at Swiftcourier, 2005–2008", "1st degree"]
    assert why["Alba Tarde"] == ["Driver at Swiftcourier, since 2024"]
    assert late.id == page["items"][3]["id"]
    walked = _search(client, circle.viewer, "", organization="Swiftcourier", limit=2)
    rest = _search(
        client, circle.viewer, "", organization="Swiftcourier", cursor=walked["next_cursor"]
    )
    assert _names(walked) + _names(rest) == _names(page)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"degree": 0}, "degree"),
        ({"degree": 4}, "degree"),
        ({"degree": "two"}, "degree"),
        ({"same_time": "maybe"}, "same_time"),
        ({"organization": "x" * 201}, "organization"),
        ({"school": "x" * 201}, "school"),
        ({"location": "x" * 201}, "location"),
        ({"sector": "x" * 201}, "sector"),
        ({"facets": "some"}, "facets"),
    ],
)
def test_bad_filters_are_invalid_input(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    _, headers = member_with_token(client)
    problem = problem_of(client.get(SEARCH, params=params, headers=headers), 422)
    assert fields_of(problem) == [field]


def test_walking_every_page_of_a_ranked_search_gives_each_match_once(
    client: TestClient, circle: Circle
) -> None:
    whole = _names(_search(client, circle.viewer, "ortega", limit=MAX_LIMIT))
    for limit in (1, 2, 3, 5):
        assert _walk(client, circle.viewer, "ortega", limit=limit) == whole, limit


def test_a_closed_account_is_not_found_until_it_is_reopened(client: TestClient) -> None:
    email = new_email()
    closing = register(client, name="Cora Cierre", email=email)
    viewer = _person(client, "Observadora")
    assert _names(_search(client, viewer, "cierre")) == ["Cora Cierre"]
    closed = client.request(
        "DELETE",
        "/api/v1/members/me",
        json={"password": PASSWORD},
        headers=bearer(token_for(client, email)),
    )
    assert closed.status_code == 202, closed.text
    assert _names(_search(client, viewer, "cierre")) == []
    token_for(client, email)  # logging in again within the grace period reopens it
    assert _names(_search(client, viewer, "cierre")) == ["Cora Cierre"]
    assert closing["id"]


def test_racing_career_edits_all_reach_the_index(
    app: Any, client: TestClient, other_client: TestClient
) -> None:
    """Two positions added at the same moment by one member: each request writes the whole
    document, and the one that commits last has seen the other's position."""
    person = _person(client, "Rita Carrera")
    viewer = _person(client, "Observadora")
    barrier = Barrier(2)

    def add(test_client: TestClient, organization: str) -> int:
        barrier.wait(timeout=30)
        response = test_client.post(
            "/api/v1/members/me/positions",
            json={"organization": organization, "title": "Lead", "start": "2020"},
            headers=person.headers,
        )
        return response.status_code

    for round_number in range(3):
        first_org, second_org = f"Alfa{round_number}corp", f"Beta{round_number}corp"
        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(add, client, first_org)
            second = pool.submit(add, other_client, second_org)
            assert [first.result(), second.result()] == [201, 201]
        assert _names(_search(client, viewer, first_org.lower() + " ")) == ["Rita Carrera"]
        assert _names(_search(client, viewer, second_org.lower() + " ")) == ["Rita Carrera"]
    assert app


def test_the_search_page_shows_facets_reasons_and_the_finder(
    client: TestClient, circle: Circle
) -> None:
    email = new_email()
    register(client, name="Pablo Página", email=email)
    log_in_page(client, email)
    page = client.get("/search", params={"q": "ortega"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "8 members" in text
    assert "Swiftcourier" in text
    assert 'href="/search?q=ortega&organization=Swiftcourier"' in text
    assert 'href="/search?q=ortega&degree=3"' in text
    assert "Also worked at Swiftcourier" not in text  # not the viewer's place
    filtered = client.get("/search", params={"q": "ortega", "organization": "Swiftcourier"})
    assert "Remove the filter: Swiftcourier" in html.unescape(filtered.text)
    assert 'name="organization" value="Swiftcourier"' in filtered.text
    member_page = client.get(f"/members/{circle.people['colleague'].id}")
    assert 'href="/search?organization=Swiftcourier"' in member_page.text
    assert "People who worked here" in member_page.text
    spanish = client.get("/search", params={"q": "ortega"}, headers={"Accept-Language": "es"})
    assert "8 miembros" in html.unescape(spanish.text)


def test_the_search_page_refuses_a_bad_degree_quietly(client: TestClient) -> None:
    email = new_email()
    register(client, name="Pablo Página", email=email)
    log_in_page(client, email)
    page = client.get("/search", params={"q": "", "degree": "7"})
    assert page.status_code == 200
    assert "1 member" in page.text


def test_with_many_matches_the_network_ranks_and_the_rest_come_by_name(
    client: TestClient, circle: Circle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More matches than one search ranks whole (here 3): the viewer's connections and 2nd
    degree first, then everyone else by name, every page in the same order, and the totals
    and facets from the database."""
    monkeypatch.setattr(search_service, "NEAR_CAP", 3)
    page = _search(client, circle.viewer, "ortega")
    assert _names(page) == [
        "Zacarías Ortega",
        "Wendy Ortega",
        "Ursula Ortega",
        "Ana Ortega",
        "Tomás Ortega",
        "Xavier Ortega",
        "Yolanda Ortega",
        "Aaron Smith",
    ]
    assert page["total"] == 8
    degrees = {facet["value"]: facet["count"] for facet in page["facets"]["degree"]}
    assert degrees == {1: 1, 2: 2, 3: 5}
    why = {item["name"]: item["matched"] for item in page["items"]}
    assert why["Yolanda Ortega"] == ["Worked at Swiftcourier 2020–2021, at the same time as you"]
    for limit in (1, 2, 3, 5):
        assert _walk(client, circle.viewer, "ortega", limit=limit, total=8) == _names(page)
    third = _search(client, circle.viewer, "ortega", degree=3)
    assert _names(third) == [
        "Ana Ortega",
        "Tomás Ortega",
        "Xavier Ortega",
        "Yolanda Ortega",
        "Aaron Smith",
    ]
    assert third["total"] == 5
    # The finder still puts who was there in the viewer's years first.
    finder = _search(client, circle.viewer, "", organization="Swiftcourier")
    assert _names(finder) == ["Vera Viewer", "Yolanda Ortega", "Tomás Ortega"]
