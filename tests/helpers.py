"""Small steps many tests take: register members, get tokens, read form tokens from pages;
invite, connect and read what a member sees through the API or a logged-in browser."""

from __future__ import annotations

import contextlib
import html
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from vinculo.db import Database
from vinculo.invitations.models import Invitation
from vinculo.network.models import Connection

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)
T = TypeVar("T")


def serving_database(client: TestClient, database: Database) -> Database:
    """The database as the requests of `client`'s app use it: on PostgreSQL its twin on the
    client's event loop (see `Database.for_requests`), whose pool they draw from."""

    async def twin() -> Database:
        return database.for_requests()

    portal = client.portal
    assert portal is not None, "the client must be started (used in a `with` block)"
    return portal.call(twin)


def wait_until(
    condition: Callable[[], T],
    *,
    what: str,
    seconds: float = 10.0,
    every: float = 0.05,
    ignoring: tuple[type[Exception], ...] = (),
) -> T:
    """Ask `condition` until it answers something true (an exception in `ignoring` counts as not
    yet), for at most `seconds`; then fail, saying `what` never happened. The one way the suite
    waits for something another thread or process does."""
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(*ignoring):
            answer = condition()
            if answer:
                return answer
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:g} s: {what}")
        time.sleep(every)


def new_email(prefix: str = "member") -> str:
    return f"{prefix}{next(_numbers)}@vinculo.example"


def register(
    client: TestClient,
    *,
    name: str = "Ana Ruiz",
    email: str | None = None,
    password: str = PASSWORD,
    **extra: Any,
) -> dict[str, Any]:
    """Register through the API; the new member as the API returns it, plus the email used."""
    email = email or new_email()
    response = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "name": name, **extra},
    )
    assert response.status_code == 201, response.text
    member: dict[str, Any] = response.json()
    return member


def token_for(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def member_with_token(
    client: TestClient, *, name: str = "Ana Ruiz"
) -> tuple[dict[str, Any], dict[str, str]]:
    """A registered member and the headers that act as them in the API."""
    email = new_email()
    member = register(client, name=name, email=email)
    return member, bearer(token_for(client, email))


def csrf_token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def log_in_page(client: TestClient, email: str, password: str = PASSWORD) -> None:
    """Log a browser-like client in through the login form."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token_of(form.text), "email": email, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def post_form(
    client: TestClient, path: str, data: dict[str, str], *, form_page: str | None = None
) -> Any:
    """Post a form the way a browser does: with the token of the page that shows it."""
    page = client.get(form_page or path)
    return client.post(
        path, data={"csrf_token": csrf_token_of(page.text), **data}, follow_redirects=False
    )


def connect(
    client: TestClient, headers: dict[str, str], *, to: int, to_headers: dict[str, str]
) -> None:
    """Connect two members through the API: one invites, the other accepts."""
    sent = client.post("/api/v1/invitations", json={"to": to}, headers=headers)
    assert sent.status_code == 201, sent.text
    accepted = client.post(f"/api/v1/invitations/{sent.json()['id']}/accept", headers=to_headers)
    assert accepted.status_code == 200, accepted.text


def logged_in_member(client: TestClient, *, name: str = "Ana Ruiz") -> dict[str, Any]:
    """Register a member through the API and log this browser-like client in as them."""
    email = new_email()
    member = register(client, name=name, email=email)
    log_in_page(client, email)
    return member


def problem_of(response: Any, status: int, *, slug: str | None = None) -> dict[str, Any]:
    """The RFC 9457 body of an API error, after checking its status, media type and shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"]
    assert body["detail"]
    if slug is not None:
        assert body["type"] == f"/problems/{slug}", body
    return body


def fields_of(problem: dict[str, Any]) -> list[str]:
    """The input fields an invalid-input problem names."""
    return [error["field"] for error in problem.get("errors") or []]


# The invitation life cycle, connections, blocks, privacy settings and notifications through the
# JSON API, as a registered member with a bearer token.

INVITATIONS = "/api/v1/invitations"
NOTIFICATIONS = "/api/v1/notifications"
BLOCKS = "/api/v1/blocks"
PRIVACY_SETTINGS = "/api/v1/network/settings"
# A member id and an invitation id that no test reaches.
MISSING = 999_999


@dataclass(frozen=True)
class Person:
    """A registered member and the headers that act as them."""

    id: int
    name: str
    email: str
    headers: dict[str, str]


def people(client: TestClient, *names: str) -> list[Person]:
    """One member registered through the API for each name, in that order."""
    registered = []
    for name in names:
        email = new_email()
        member = register(client, name=name, email=email)
        registered.append(Person(member["id"], name, email, bearer(token_for(client, email))))
    return registered


def invite(client: TestClient, sender: Person, *, to: Person, **body: Any) -> dict[str, Any]:
    """Send an invitation (with any other fields of the body) and return it as the API does."""
    sent = client.post(INVITATIONS, json={"to": to.id, **body}, headers=sender.headers)
    assert sent.status_code == 201, sent.text
    invitation: dict[str, Any] = sent.json()
    return invitation


def act(client: TestClient, person: Person, invitation_id: int | str, action: str) -> Any:
    """Accept, ignore, withdraw or report an invitation as `person`; the response, unchecked."""
    return client.post(f"{INVITATIONS}/{invitation_id}/{action}", headers=person.headers)


def connect_people(client: TestClient, a: Person, b: Person) -> None:
    """Connect two members through the API: `a` invites, `b` accepts."""
    invitation = invite(client, a, to=b)
    accepted = act(client, b, invitation["id"], "accept")
    assert accepted.status_code == 200, accepted.text


def invitations_in(client: TestClient, person: Person, box: str) -> list[dict[str, Any]]:
    """Every invitation in one of the member's boxes, as they see them."""
    listed = client.get(INVITATIONS, params={"box": box, "limit": 100}, headers=person.headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def statuses(client: TestClient, person: Person, box: str) -> list[tuple[int, int, str]]:
    """(from, to, status) of each invitation in one of the member's boxes, newest first."""
    return [
        (item["from"], item["to"], item["status"]) for item in invitations_in(client, person, box)
    ]


def seen_status(client: TestClient, person: Person, invitation_id: int) -> str:
    """The status of one invitation as this member sees it."""
    found = client.get(f"{INVITATIONS}/{invitation_id}", headers=person.headers)
    assert found.status_code == 200, found.text
    status: str = found.json()["status"]
    return status


def connections(
    client: TestClient, person: Person, *, of: Person | None = None, **params: Any
) -> list[dict[str, Any]]:
    """The connections of `of` (by default the member's own), as the member sees them."""
    member_id = (of or person).id
    listed = client.get(
        f"/api/v1/members/{member_id}/connections",
        params={"limit": 100, **params},
        headers=person.headers,
    )
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def connection_ids(client: TestClient, person: Person) -> list[int]:
    """The ids of the member's own connections, in the order of their list."""
    return [item["id"] for item in connections(client, person)]


def notifications(client: TestClient, person: Person) -> list[tuple[str, int, int | None]]:
    """(kind, actor, invitation) of each of the member's notifications, newest first."""
    listed = client.get(NOTIFICATIONS, params={"limit": 100}, headers=person.headers)
    assert listed.status_code == 200, listed.text
    return [
        (item["kind"], item["actor"]["id"], item["invitation_id"])
        for item in listed.json()["items"]
    ]


def change_settings(client: TestClient, person: Person, **settings: str) -> None:
    """Change some of the member's privacy settings through the API."""
    changed = client.patch(PRIVACY_SETTINGS, json=settings, headers=person.headers)
    assert changed.status_code == 200, changed.text


def row_counts(database: Database) -> tuple[int, int]:
    """How many invitations and connections the database holds."""
    with database.unit_of_work(write=False) as db:
        invitation_rows = db.scalar(select(func.count()).select_from(Invitation)) or 0
        connection_rows = db.scalar(select(func.count()).select_from(Connection)) or 0
    return invitation_rows, connection_rows


def nothing_between(client: TestClient, a: Person, b: Person) -> None:
    """Neither member has an invitation from or to the other, nor a connection with them."""
    for person, other in ((a, b), (b, a)):
        for box in ("received", "sent"):
            assert all(
                other.id not in (item["from"], item["to"])
                for item in invitations_in(client, person, box)
            ), (person.name, box)
        assert other.id not in connection_ids(client, person)
        assert all(actor != other.id for _, actor, _ in notifications(client, person))


# The same through the pages, as a logged-in browser.


def page_text(page: str) -> str:
    """The page with entities decoded and runs of white space made one space."""
    return re.sub(r"\s+", " ", html.unescape(page))


class Browser:
    """A logged-in member's browser, with API headers to arrange what a test needs quickly."""

    def __init__(self, client: TestClient, *, name: str) -> None:
        email = new_email()
        member = register(client, name=name, email=email)
        log_in_page(client, email)
        self.client = client
        self.id: int = member["id"]
        self.name = name
        self.email = email
        self.api = bearer(token_for(client, email))

    def page(self, path: str, **kwargs: Any) -> str:
        """The text of a page this member opens (see `page_text`), after checking it is a 200."""
        response = self.client.get(path, **kwargs)
        assert response.status_code == 200, response.text
        return page_text(response.text)

    def post(self, path: str, data: dict[str, str] | None = None, *, form_page: str) -> Any:
        """Post a form shown on `form_page`, with that page's token."""
        return post_form(self.client, path, data or {}, form_page=form_page)

    def sent(self) -> list[dict[str, Any]]:
        """The member's sent invitations, through the API."""
        response = self.client.get(f"{INVITATIONS}?box=sent", headers=self.api)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def received(self) -> list[dict[str, Any]]:
        """The member's received invitations, through the API."""
        response = self.client.get(f"{INVITATIONS}?box=received", headers=self.api)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def connection_ids(self) -> list[int]:
        """The ids of the member's connections, through the API."""
        response = self.client.get(f"/api/v1/members/{self.id}/connections", headers=self.api)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    def invite(self, other: Browser, note: str = "", **extra: str) -> Any:
        """Send the invitation form of `other`'s invite page; the response, unchecked."""
        return self.post(
            f"/members/{other.id}/invite",
            {"note": note, "email": "", **extra},
            form_page=f"/members/{other.id}/invite",
        )

    def connect(self, other: Browser) -> None:
        """Connect through the pages: this member invites, `other` accepts on My network."""
        assert self.invite(other, "Hola").status_code == 303
        [invitation] = [item for item in other.received() if item["from"] == self.id]
        accepted = other.post(
            f"/network/invitations/{invitation['id']}/accept", form_page="/network"
        )
        assert accepted.status_code == 303, accepted.text
