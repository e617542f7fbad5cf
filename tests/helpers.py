"""Small steps many tests take: register members, get tokens, read form tokens from pages."""

from __future__ import annotations

import itertools
import re
from typing import Any

from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


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
