"""Small steps many tests take: register members, get tokens, read form tokens from pages."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pytest
from starlette.testclient import TestClient

from vinculo.suggestions.fitting import by_member
from vinculo.suggestions.ranking import ProfileIndex

PASSWORD = "correct horse battery"
_numbers = itertools.count(1)
T = TypeVar("T")


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


SHARED_DATA = Path(
    os.environ.get("VINCULO_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def facebook100(
    name: str, *, hidden: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], dict[int, set[int]]]:
    """A Facebook100 school from the shared data folder with a seeded random share of its
    connections hidden: the connections kept, the attribute rows, and each member's hidden
    connections. Skips the test when the folder is absent (a clone elsewhere)."""
    edges_path = SHARED_DATA / "facebook100" / f"{name}.edges.txt"
    info_path = SHARED_DATA / "facebook100" / f"{name}.local_info.txt"
    if not edges_path.exists():
        pytest.skip(f"{name} is not here: the shared data folder is absent ({SHARED_DATA})")
    edges = np.loadtxt(edges_path, dtype=np.int64)
    info = np.loadtxt(info_path, dtype=np.int64)
    hide = np.random.default_rng(seed).random(len(edges)) < hidden
    return edges[~hide], info, by_member(edges[hide, 0], edges[hide, 1])


def facebook100_profiles(info: npt.NDArray[np.int64]) -> ProfileIndex:
    """A school's attribute rows as profiles, as the offline evaluation maps them: the dorm an
    organization in the four years up to the class year, the high school a school in the four
    before, the first major the sector."""
    places: list[tuple[int, int, str, int, int | None]] = []
    for member, (dorm, year, school) in enumerate(info[:, [4, 5, 6]].tolist()):
        if year > 0 and dorm > 0:
            places.append((member, dorm, "organization", year - 3, year))
        if year > 0 and school > 0:
            places.append((member, school, "school", year - 7, year - 4))
    sectors = {m: int(v) for m, v in enumerate(info[:, 2].tolist()) if v > 0}
    return ProfileIndex.build(len(info), places, sectors, {}, current_year=2010)
