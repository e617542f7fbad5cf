"""Hostile input and HTTP hygiene: names that hide or reorder text, loose ids, crafted cursors,
and the headers that keep private answers out of caches and browsers on https."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from tests.helpers import (
    INVITATIONS,
    PASSWORD,
    Browser,
    connect,
    fields_of,
    new_email,
    people,
    post_form,
    problem_of,
    register,
)
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.settings import Settings, get_settings

REGISTER = "/api/v1/auth/register"
ME = "/api/v1/members/me"

# Names a person could not have typed to be read as written: a right-to-left override that
# shows "Ana" reversed, zero-width and invisible characters alone or hidden in a name, controls.
HOSTILE_NAMES = [
    "Ana \u202eziuR",
    "\u2066Ana\u2069",
    "\u200b",
    "\u200b\u200c\u200d",
    "Ana\u200bRuiz",
    "\ufeffAna",
    "Ana\x07",
    "Ana\tRuiz",
    "Ana\nRuiz",
    "\u3164",
    "\u2800 \u3164",
    "\u00ad",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_registration_refuses_a_hostile_name(client: TestClient, name: str) -> None:
    email = new_email()
    response = client.post(REGISTER, json={"email": email, "password": PASSWORD, "name": name})
    assert fields_of(problem_of(response, 422, slug="invalid-input")) == ["name"]
    refused = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("field", "path", "body"),
    [
        ("name", ME, {}),
        ("headline", ME, {}),
        ("location", ME, {}),
        ("sector", ME, {}),
        ("organization", f"{ME}/positions", {"title": "CTO", "start": "2020"}),
        ("title", f"{ME}/positions", {"organization": "Telefónica", "start": "2020"}),
        ("school", f"{ME}/education", {"degree": "MBA", "start": "2020"}),
        ("degree", f"{ME}/education", {"school": "IE", "start": "2020"}),
    ],
)
def test_every_name_of_a_profile_refuses_hostile_text(
    client: TestClient, field: str, path: str, body: dict[str, str]
) -> None:
    (ana,) = people(client, "Ana")
    before = client.get(ME, headers=ana.headers).json()
    send = client.patch if path == ME else client.post
    for hostile in ("Ana \u202eziuR", "\u200b", "x\x1b[31m", "\u3164"):
        response = send(path, json={**body, field: hostile}, headers=ana.headers)
        assert fields_of(problem_of(response, 422, slug="invalid-input")) == [field], hostile
    assert client.get(ME, headers=ana.headers).json() == before


def test_a_career_entry_edit_refuses_hostile_text(client: TestClient) -> None:
    (ana,) = people(client, "Ana")
    added = client.post(
        f"{ME}/positions",
        json={"organization": "Telefónica", "title": "CTO", "start": "2020"},
        headers=ana.headers,
    ).json()
    refused = client.patch(
        f"{ME}/positions/{added['id']}", json={"title": "C\u202eOT"}, headers=ana.headers
    )
    assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["title"]


def test_names_that_need_joiners_or_compose_are_kept(client: TestClient) -> None:
    """Persian and Hindi need ZWNJ and ZWJ inside words; an emoji sequence joins with ZWJ;
    a decomposed accent is stored composed (NFC)."""
    persian = "نیک\u200cنام"
    hindi = "क्\u200dष"
    member = register(client, name=f"{persian} {hindi}", email=new_email())
    assert member["name"] == f"{persian} {hindi}"
    (ana,) = people(client, "Jose\u0301  Pe\u0301rez")
    me = client.get(ME, headers=ana.headers).json()
    assert me["name"] == "José Pérez"
    changed = client.patch(
        ME, json={"headline": "Dev \U0001f469\u200d\U0001f4bb"}, headers=ana.headers
    )
    assert changed.json()["headline"] == "Dev \U0001f469\u200d\U0001f4bb"


def test_the_pages_refuse_hostile_names_in_the_readers_language(ana: Browser) -> None:
    response = post_form(
        ana.client,
        "/profile/edit",
        {"name": "Ana \u202eziuR", "headline": "", "location": "", "sector": "", "about": ""},
    )
    assert response.status_code == 422
    assert "invisible formatting characters" in response.text
    spanish = ana.client.post(
        "/language", data={"csrf_token": _csrf(ana), "language": "es"}, follow_redirects=False
    )
    assert spanish.status_code == 303
    response = post_form(
        ana.client,
        "/profile/positions/new",
        {"organization": "\u3164", "title": "CTO", "start": "2020", "end": ""},
    )
    assert response.status_code == 422
    assert "al menos un carácter visible" in response.text


def _csrf(browser: Browser) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', browser.client.get("/").text)
    assert found
    return found.group(1)


# Ids


@pytest.mark.parametrize("loose", [True, "1", 1.0, "0x1", 1.5, None, [1], {"id": 1}])
def test_an_id_in_a_body_is_a_json_integer(client: TestClient, loose: Any) -> None:
    """`true`, `"1"` and `1.0` are not member 1 (who is Ana, here)."""
    ana, beto = people(client, "Ana", "Beto")
    assert ana.id == 1
    sent = client.post(INVITATIONS, json={"to": loose}, headers=beto.headers)
    assert fields_of(problem_of(sent, 422, slug="invalid-input")) == ["to"]
    blocked = client.post("/api/v1/blocks", json={"member": loose}, headers=beto.headers)
    assert fields_of(problem_of(blocked, 422, slug="invalid-input")) == ["member"]
    assert (
        client.get(INVITATIONS, params={"box": "sent"}, headers=beto.headers).json()["items"] == []
    )
    assert client.get("/api/v1/blocks", headers=beto.headers).json()["items"] == []


def test_an_id_in_a_path_is_a_positive_integer(client: TestClient) -> None:
    (ana,) = people(client, "Ana")
    for loose in ("1.0", "true", "0", "-1", "+1", "1e0", " 1"):
        response = client.get(f"/api/v1/members/{loose}", headers=ana.headers)
        assert fields_of(problem_of(response, 422, slug="invalid-input")) == ["member_id"], loose


# Cursors

BAD_CURSORS = [
    "WyJcdWQ4MDAiLCAxXQ",  # ["\ud800", 1]: a lone surrogate no database can compare with
    base64.urlsafe_b64encode(b'["\\udfff", 1, 1]').decode(),
    base64.urlsafe_b64encode(b"[" * 5000).decode(),
    base64.urlsafe_b64encode(json.dumps([1e400, 1]).encode()).decode(),
    "A" * 20_000,
    "ñ",
]


def _routes_with_a_cursor(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, parameter) of every GET route, API and pages, taking a cursor."""
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            yield from _routes_with_a_cursor(
                route.original_router.routes, prefix + route.include_context.prefix
            )
        elif isinstance(route, APIRoute) and "GET" in (route.methods or ()):
            for param in route.dependant.query_params:
                if param.name.endswith("cursor"):
                    yield prefix + route.path, param.name


def test_every_bad_cursor_is_invalid_input_on_every_list(
    client: TestClient, other_client: TestClient, app: FastAPI
) -> None:
    (ana,) = people(client, "Ana")
    browser = Browser(other_client, name="Beto")
    connect(client, ana.headers, to=browser.id, to_headers=browser.api)
    # An open group of Ana's with a post in it: the lists under a group or a post need one that
    # exists, or they answer 404 before reading the cursor.
    group = client.post(
        "/api/v1/groups",
        json={"name": "Cursores", "description": "", "policy": "open"},
        headers=ana.headers,
    )
    assert group.status_code == 201, group.text
    post = client.post(
        f"/api/v1/groups/{group.json()['id']}/posts", json={"text": "Hola"}, headers=ana.headers
    )
    assert post.status_code == 201, post.text
    ids = {"group_id": group.json()["id"], "post_id": post.json()["id"]}

    def filled(path: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda found: str(ids.get(found[1], ana.id)), path)

    routes = list(_routes_with_a_cursor(app.router.routes))
    assert len(routes) >= 10, routes
    assert any(not path.startswith("/api/") for path, _ in routes), routes
    for path, name in routes:
        for cursor in BAD_CURSORS:
            if path.startswith("/api/"):
                url = filled(path)
                response = client.get(url, params={name: cursor}, headers=ana.headers)
                problem = problem_of(response, 422, slug="invalid-input")
                assert fields_of(problem) == ["cursor"], (url, cursor)
            else:
                url = filled(path)
                response = browser.client.get(url, params={name: cursor}, follow_redirects=False)
                assert response.status_code == 422, (url, cursor, response.text[:200])


# Headers


def test_api_answers_and_signed_in_pages_are_not_stored(ana: Browser, client: TestClient) -> None:
    for response in (
        client.get("/api/v1/members/me", headers={"Authorization": "Bearer nothing"}),
        client.get("/api/openapi.json"),
        ana.client.get("/"),
        ana.client.get("/profile/edit"),
        ana.client.get("/nowhere"),
    ):
        assert response.headers["cache-control"] == "no-store", response.url
    static = client.get("/static/vinculo.css")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("cache-control", "")


def test_only_production_asks_browsers_for_https(database: Database) -> None:
    development = TestClient(create_app(get_settings(), database=database))
    assert "strict-transport-security" not in development.get("/healthz/live").headers
    production = Settings(
        environment="production",
        secret_key="a-production-secret-key-of-enough-length",
        secure_cookies=True,
        public_url="https://vinculo.example",
        database_url=database.url.render_as_string(hide_password=False),
    )
    served = TestClient(create_app(production, database=database))
    for path in ("/healthz/live", "/login", "/api/v1/nowhere", "/static/vinculo.css"):
        headers = served.get(path).headers
        assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/login", {"GET", "POST"}),
        ("DELETE", "/register", {"GET", "POST"}),
        ("PUT", "/api/v1/members/me", {"GET", "PATCH", "DELETE"}),
        ("GET", "/api/v1/auth/token", {"POST", "DELETE"}),
        ("POST", "/static/vinculo.css", {"GET", "HEAD"}),
    ],
)
def test_a_wrong_method_names_every_allowed_one(
    client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert {part.strip() for part in response.headers["allow"].split(",")} == allowed


# Request bodies


def test_a_body_of_100_mb_is_refused_without_being_read(app: FastAPI) -> None:
    """The cap (1 MiB by default) stops reading a body sent in chunks soon after it is passed;
    one that declares its length is refused before any of it is read. (Driven through the ASGI
    interface: the test client would read the whole body before the application sees any.)"""
    for declared in (False, True):
        received, answer = asyncio.run(_post_100_megabytes(app, declared_length=declared))
        assert answer["status"] == 413
        assert received < (1 if declared else 4 * 1024 * 1024), received


async def _post_100_megabytes(app: FastAPI, *, declared_length: bool) -> tuple[int, Any]:
    chunk = b"x" * (64 * 1024)
    total = 100 * 1024 * 1024
    received = 0
    started: list[Any] = []
    length = [(b"content-length", str(total).encode())] if declared_length else []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": INVITATIONS,
        "raw_path": INVITATIONS.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            *(length or [(b"transfer-encoding", b"chunked")]),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        nonlocal received
        received += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": received < total}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.append(message)

    await app(scope, receive, send)
    return received, started[0]


def test_a_day_that_does_not_exist_is_refused(client: TestClient) -> None:
    (ana,) = people(client, "Ana")
    for day in ("2020-02-31", "2019-02-29", "2019-04-31"):
        refused = client.post(
            f"{ME}/positions",
            json={"organization": "Acme", "title": "CTO", "start": day},
            headers=ana.headers,
        )
        assert fields_of(problem_of(refused, 422, slug="invalid-input")) == ["start"], day
    taken = client.post(
        f"{ME}/positions",
        json={"organization": "Acme", "title": "CTO", "start": "2020-02-29"},
        headers=ana.headers,
    )
    assert taken.status_code == 201
    assert taken.json()["start"] == "2020-02"
