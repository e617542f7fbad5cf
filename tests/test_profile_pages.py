"""Profile pages as a logged-in browser uses them: seeing profiles, editing your own, adding,
changing and removing positions and education, the home page's checklist, in both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.helpers import (
    bearer,
    csrf_token_of,
    logged_in_member,
    member_with_token,
    post_form,
    token_for,
)
from vinculo.db import Database
from vinculo.identity.models import ABOUT_MAX
from vinculo.profiles.models import Organization, School

# What each kind of career entry is called in the pages' forms: its place and its label.
KINDS = {"positions": ("organization", "title"), "education": ("school", "degree")}
_PROFILE_FIELDS = {
    "name": "Ana Ruiz",
    "headline": "Ingeniera de datos",
    "location": "Sevilla",
    "sector": "Tecnología",
    "about": "Me gustan los datos abiertos.\nY el flamenco.",
}


def _api_headers(client: TestClient, member: dict[str, Any]) -> dict[str, str]:
    return bearer(token_for(client, member["email"]))


def _entry_ids(page: str, kind: str) -> list[int]:
    return [int(found) for found in re.findall(rf'href="/profile/{kind}/(\d+)/edit"', page)]


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field__error" id="error-{field}">([^<]*)</p>', page)
    assert found, f"no error shown for {field}"
    return found.group(1)


# Your profile


def test_the_edit_form_shows_the_current_profile(client: TestClient) -> None:
    member = logged_in_member(client, name="Ana Ruiz")
    client.patch(
        "/api/v1/members/me", json={"headline": "Ingeniera"}, headers=_api_headers(client, member)
    )
    page = client.get("/profile/edit")
    assert page.status_code == 200
    assert "<h1>Edit profile</h1>" in page.text
    assert '<form method="post" action="/profile/edit"' in page.text
    assert 'name="name" type="text" value="Ana Ruiz"' in page.text
    assert 'name="headline" type="text" value="Ingeniera"' in page.text
    assert '<textarea id="field-about" name="about"' in page.text
    assert 'name="csrf_token"' in page.text
    assert 'href="/profile/positions/new"' in page.text
    assert 'href="/profile/education/new"' in page.text
    assert client.get("/profile/edit?welcome=1").text.count("Welcome to Vínculo!") == 1


def test_saving_the_profile_shows_it(client: TestClient) -> None:
    member = logged_in_member(client, name="Ana Ruiz")
    saved = post_form(client, "/profile/edit", {**_PROFILE_FIELDS, "name": " Ana  María Ruiz "})
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/members/{member['id']}"

    profile = client.get(saved.headers["location"])
    assert profile.status_code == 200
    assert "<h1>Ana María Ruiz" in profile.text
    assert "Ingeniera de datos" in profile.text
    assert "Sevilla" in profile.text
    assert "Tecnología" in profile.text
    assert "<p>Me gustan los datos abiertos.</p><p>Y el flamenco.</p>" in profile.text
    assert 'href="/profile/edit"' in profile.text
    me = client.get("/api/v1/members/me", headers=_api_headers(client, member)).json()
    assert (me["name"], me["headline"], me["about"]) == (
        "Ana María Ruiz",
        "Ingeniera de datos",
        "Me gustan los datos abiertos.\nY el flamenco.",
    )
    assert client.get("/profile", follow_redirects=False).headers["location"] == (
        f"/members/{member['id']}"
    )


def test_what_members_write_is_shown_as_text(client: TestClient) -> None:
    member = logged_in_member(client)
    post_form(client, "/profile/edit", {**_PROFILE_FIELDS, "headline": "<script>alert(1)</script>"})
    profile = client.get(f"/members/{member['id']}")
    assert "<script>alert(1)</script>" not in profile.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in profile.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"about": "x" * (ABOUT_MAX + 1)}, "about", f"At most {ABOUT_MAX} characters."),
        ({"name": "   "}, "name", "This field is required."),
        ({"headline": "x" * 221}, "headline", "At most 220 characters."),
    ],
)
def test_an_invalid_profile_is_shown_again_with_the_error(
    client: TestClient, changes: dict[str, str], field: str, message: str
) -> None:
    member = logged_in_member(client, name="Ana Ruiz")
    headers = _api_headers(client, member)
    before = client.get("/api/v1/members/me", headers=headers).json()
    refused = post_form(client, "/profile/edit", {**_PROFILE_FIELDS, **changes})
    assert refused.status_code == 422
    assert "text/html" in refused.headers["content-type"]
    assert _field_error(refused.text, field) == message
    assert f'id="field-{field}"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    # What was typed stays in the form, to be corrected.
    assert 'value="Sevilla"' in refused.text
    assert client.get("/api/v1/members/me", headers=headers).json() == before


def test_an_invalid_profile_error_speaks_spanish(client: TestClient) -> None:
    logged_in_member(client)
    client.headers["Accept-Language"] = "es"
    refused = post_form(client, "/profile/edit", {**_PROFILE_FIELDS, "about": "x" * 2601})
    assert refused.status_code == 422
    assert _field_error(refused.text, "about") == "Como máximo 2600 caracteres."


def test_a_form_without_its_token_changes_nothing(client: TestClient) -> None:
    member = logged_in_member(client)
    refused = client.post("/profile/edit", data=_PROFILE_FIELDS, follow_redirects=False)
    assert refused.status_code == 403
    forged = client.post(
        "/profile/edit", data={**_PROFILE_FIELDS, "csrf_token": "0" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403
    me = client.get("/api/v1/members/me", headers=_api_headers(client, member)).json()
    assert me["headline"] == ""


# Positions and education


@pytest.mark.parametrize("kind", KINDS)
def test_an_entry_is_added_changed_and_removed_through_the_pages(
    client: TestClient, kind: str
) -> None:
    place_field, label_field = KINDS[kind]
    member = logged_in_member(client)
    form = client.get(f"/profile/{kind}/new")
    assert form.status_code == 200
    assert f'<form method="post" action="/profile/{kind}/new"' in form.text
    assert f'name="{place_field}"' in form.text
    assert f'name="{label_field}"' in form.text

    added = post_form(
        client,
        f"/profile/{kind}/new",
        {place_field: "Acme Ibérica", label_field: "Ingeniería", "start": "2019-03", "end": ""},
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == "/profile/edit"
    edit_page = client.get("/profile/edit").text
    [entry_id] = _entry_ids(edit_page, kind)
    assert "Acme Ibérica" in edit_page
    assert "Mar 2019 – Present" in edit_page
    assert f'action="/profile/{kind}/{entry_id}/delete"' in edit_page

    form = client.get(f"/profile/{kind}/{entry_id}/edit")
    assert form.status_code == 200
    assert f'action="/profile/{kind}/{entry_id}/edit"' in form.text
    assert f'name="{place_field}" type="text" value="Acme Ibérica"' in form.text
    assert 'name="start" type="text" value="2019-03"' in form.text
    assert 'name="end" type="text" value=""' in form.text

    changed = post_form(
        client,
        f"/profile/{kind}/{entry_id}/edit",
        {place_field: "Globex", label_field: "Dirección", "start": "2019-03", "end": "2021-06"},
    )
    assert changed.status_code == 303, changed.text
    profile = client.get(f"/members/{member['id']}").text
    assert "Globex" in profile
    assert "Dirección" in profile
    assert "Mar 2019 – Jun 2021" in profile
    assert "Acme Ibérica" not in profile

    removed = post_form(client, f"/profile/{kind}/{entry_id}/delete", {}, form_page="/profile/edit")
    assert removed.status_code == 303, removed.text
    assert removed.headers["location"] == "/profile/edit"
    assert _entry_ids(client.get("/profile/edit").text, kind) == []
    assert "Globex" not in client.get(f"/members/{member['id']}").text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        ({"start": "2019-06", "end": "2019-05"}, "end", "The end cannot come before the start."),
        ({"start": "2019-13", "end": ""}, "start", "Use a month between 01 and 12."),
        ({"start": "", "end": ""}, "start", "Use a year, or a year and month: 2019 or 2019-03."),
    ],
)
def test_an_invalid_entry_is_shown_again_with_the_error(
    client: TestClient,
    database: Database,
    kind: str,
    *,
    period: dict[str, str],
    field: str,
    message: str,
) -> None:
    place_field, label_field = KINDS[kind]
    logged_in_member(client)
    refused = post_form(
        client, f"/profile/{kind}/new", {place_field: "Acme", label_field: "Algo", **period}
    )
    assert refused.status_code == 422
    assert _field_error(refused.text, field) == message
    assert f'name="{place_field}" type="text" value="Acme"' in refused.text
    assert _entry_ids(client.get("/profile/edit").text, kind) == []
    # The page shows the refusal and commits its unit of work: no stray organization or school.
    with database.unit_of_work(write=False) as db:
        assert db.scalar(select(func.count()).select_from(Organization)) == 0
        assert db.scalar(select(func.count()).select_from(School)) == 0


def test_a_position_needs_an_organization(client: TestClient) -> None:
    logged_in_member(client)
    refused = post_form(
        client,
        "/profile/positions/new",
        {"organization": " ", "title": "Jefa", "start": "2019", "end": ""},
    )
    assert refused.status_code == 422
    assert _field_error(refused.text, "organization") == "This field is required."


@pytest.mark.parametrize("kind", KINDS)
def test_an_invalid_change_of_an_entry_keeps_it(client: TestClient, kind: str) -> None:
    place_field, label_field = KINDS[kind]
    logged_in_member(client)
    post_form(
        client,
        f"/profile/{kind}/new",
        {place_field: "Acme", label_field: "Algo", "start": "2019", "end": "2020"},
    )
    [entry_id] = _entry_ids(client.get("/profile/edit").text, kind)
    refused = post_form(
        client,
        f"/profile/{kind}/{entry_id}/edit",
        {place_field: "Globex", label_field: "Algo", "start": "2021", "end": "2020"},
    )
    assert refused.status_code == 422
    assert _field_error(refused.text, "end") == "The end cannot come before the start."
    edit_page = client.get("/profile/edit").text
    assert "Acme" in edit_page
    assert "Globex" not in edit_page
    assert "2019 – 2020" in edit_page


@pytest.mark.parametrize("kind", KINDS)
def test_someone_elses_entry_is_not_found(
    client: TestClient, other_client: TestClient, kind: str
) -> None:
    place_field, label_field = KINDS[kind]
    owner = logged_in_member(other_client, name="Dueña")
    post_form(
        other_client,
        f"/profile/{kind}/new",
        {place_field: "Acme", label_field: "Algo", "start": "2019", "end": ""},
    )
    [entry_id] = _entry_ids(other_client.get("/profile/edit").text, kind)

    logged_in_member(client, name="Curiosa")
    token = csrf_token_of(client.get("/profile/edit").text)
    answers = [
        client.get(f"/profile/{kind}/{entry_id}/edit"),
        client.post(
            f"/profile/{kind}/{entry_id}/edit",
            data={
                "csrf_token": token,
                place_field: "Robada",
                label_field: "Algo",
                "start": "2019",
                "end": "",
            },
            follow_redirects=False,
        ),
        client.post(
            f"/profile/{kind}/{entry_id}/delete",
            data={"csrf_token": token},
            follow_redirects=False,
        ),
    ]
    for answer in answers:
        assert answer.status_code == 404
        assert "text/html" in answer.headers["content-type"]
        assert "Not on your profile" in answer.text
    profile = client.get(f"/members/{owner['id']}").text
    assert "Acme" in profile
    assert "Robada" not in profile


# Other members' profiles, visitors


def test_a_member_sees_another_members_profile(client: TestClient) -> None:
    other, other_headers = member_with_token(client, name="Beto Gil")
    client.patch("/api/v1/members/me", json={"headline": "Carpintero"}, headers=other_headers)
    client.post(
        "/api/v1/members/me/education",
        json={"school": "IES Murillo", "degree": "Bachillerato", "start": "2001", "end": "2003"},
        headers=other_headers,
    )
    logged_in_member(client, name="Ana Ruiz")
    profile = client.get(f"/members/{other['id']}")
    assert profile.status_code == 200
    assert "<h1>Beto Gil" in profile.text
    assert "Carpintero" in profile.text
    assert "IES Murillo" in profile.text
    assert "2001 – 2003" in profile.text
    assert "No positions yet." in profile.text
    # Only your own profile offers to edit it.
    assert 'href="/profile/edit"' not in profile.text


def test_an_unknown_member_is_a_404_page(client: TestClient) -> None:
    logged_in_member(client)
    for path in ("/members/999999", f"/members/{2**63 - 1}"):
        page = client.get(path)
        assert page.status_code == 404
        assert "Member not found" in page.text


@pytest.mark.parametrize("path", ["/members/1", "/profile/edit", "/profile/positions/new"])
def test_a_visitor_is_sent_to_log_in(client: TestClient, path: str) -> None:
    member_with_token(client)
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_a_visitor_cannot_post_a_profile_form(client: TestClient) -> None:
    form = client.get("/login")
    response = client.post(
        "/profile/edit",
        data={"csrf_token": csrf_token_of(form.text), **_PROFILE_FIELDS},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/profile/edit"


# The home page


def test_the_home_page_greets_the_member_with_a_checklist(client: TestClient) -> None:
    member = logged_in_member(client, name="Ana Ruiz")
    home = client.get("/")
    assert home.status_code == 200
    assert f'<a href="/members/{member["id"]}">Ana Ruiz</a>' in home.text
    assert "Complete your profile" in home.text
    assert home.text.count('<li class="todo">') == 6

    post_form(client, "/profile/edit", _PROFILE_FIELDS)
    post_form(
        client,
        "/profile/positions/new",
        {"organization": "Acme", "title": "Ingeniera", "start": "2019", "end": ""},
    )
    home = client.get("/")
    assert home.text.count('<li class="todo">') == 1
    assert "Your education" in home.text
    assert "Ingeniera · Acme" in home.text

    post_form(
        client,
        "/profile/education/new",
        {"school": "IES", "degree": "", "start": "2005", "end": ""},
    )
    home = client.get("/")
    assert "Complete your profile" not in home.text
    assert '<li class="todo">' not in home.text


def test_the_home_page_counts_who_else_was_at_my_places(client: TestClient) -> None:
    """Each organization and school on my profile, organizations first and each kind by name,
    with how many other members list it too (whenever they were there)."""
    for name, places in (
        ("Beto Gil", [("positions", "Zeta Logística"), ("education", "IES Triana")]),
        ("Carla Ruiz", [("positions", "Zeta Logística"), ("positions", "Acme")]),
    ):
        _, headers = member_with_token(client, name=name)
        for kind, place in places:
            key, label = KINDS[kind]
            body = {key: place, label: "Analyst", "start": "2001"}
            assert client.post(f"/api/v1/members/me/{kind}", json=body, headers=headers).is_success
    logged_in_member(client, name="Ana Ruiz")
    for kind, place in (
        ("education", "IES Triana"),
        ("positions", "Zeta Logística"),
        ("positions", "Acme"),
        ("positions", "Nowhere Else"),
    ):
        key, label = KINDS[kind]
        post_form(client, f"/profile/{kind}/new", {key: place, label: "Analyst", "start": "2015"})
    home = client.get("/").text
    listed = re.findall(
        r'<a href="/search\?(?:organization|school)=[^"]*">([^<]+)</a>\s*'
        r'<span class="muted">([^<]+)</span>',
        home,
    )
    assert listed == [
        ("Acme", "1 other member"),
        ("Zeta Logística", "2 other members"),
        ("IES Triana", "1 other member"),
    ]


def test_the_home_page_for_a_visitor(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    assert 'href="/login"' in home.text
    assert "Complete your profile" not in home.text


# Languages


def test_pages_speak_spanish_to_a_spanish_browser(client: TestClient) -> None:
    member = logged_in_member(client)
    post_form(
        client,
        "/profile/positions/new",
        {"organization": "Acme", "title": "Ingeniera", "start": "2019", "end": ""},
    )
    post_form(
        client,
        "/profile/education/new",
        {"school": "IES", "degree": "", "start": "2005-09", "end": "2009-06"},
    )
    spanish = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
    edit = client.get("/profile/edit", headers=spanish)
    assert '<html lang="es">' in edit.text
    assert "<h1>Editar perfil</h1>" in edit.text
    assert "2019 – actualidad" in edit.text
    assert "sept 2005 – jun 2009" in edit.text
    home = client.get("/", headers=spanish)
    assert "Completa tu perfil" in home.text
    profile = client.get(f"/members/{member['id']}", headers=spanish)
    assert "Experiencia" in profile.text

    english = client.get("/profile/edit", headers={"Accept-Language": "en-GB,en"})
    assert '<html lang="en">' in english.text
    assert "<h1>Edit profile</h1>" in english.text
    assert "2019 – Present" in english.text
    assert "Sep 2005 – Jun 2009" in english.text


def test_a_members_language_wins_over_the_browsers(client: TestClient) -> None:
    member = logged_in_member(client)
    headers = _api_headers(client, member)
    client.patch("/api/v1/members/me", json={"locale": "es"}, headers=headers)
    page = client.get("/profile/edit", headers={"Accept-Language": "en"})
    assert "<h1>Editar perfil</h1>" in page.text
    client.patch("/api/v1/members/me", json={"locale": None}, headers=headers)
    page = client.get("/profile/edit", headers={"Accept-Language": "en"})
    assert "<h1>Edit profile</h1>" in page.text


def test_the_language_switch_keeps_a_members_choice(client: TestClient) -> None:
    member = logged_in_member(client)
    switched = post_form(
        client, "/language", {"language": "es", "next": "/profile/edit"}, form_page="/profile/edit"
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/profile/edit"
    me = client.get("/api/v1/members/me", headers=_api_headers(client, member)).json()
    assert me["locale"] == "es"
    assert "<h1>Editar perfil</h1>" in client.get("/profile/edit").text
