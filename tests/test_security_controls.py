"""Controls that docs/security.md cites and no other test pins: the login never sends a member
off the site, production refuses development secrets and plain cookies and the demo community,
TRACE is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, csrf_token_of, new_email, register
from tests.test_cli import vinculo
from vinculo.settings import DEVELOPMENT_SECRET_KEY, Settings

STRONG_KEY = "k" * 48


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",
        "evil.example",
        "javascript:alert(1)",
    ],
)
def test_the_login_never_sends_a_member_off_the_site(client: TestClient, target: str) -> None:
    email = new_email("redirect")
    register(client, email=email)
    form = client.get("/login", params={"next": target})
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_token_of(form.text),
            "email": email,
            "password": PASSWORD,
            "next": target,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/"


def test_the_login_keeps_a_path_on_the_site(client: TestClient) -> None:
    email = new_email("redirect")
    register(client, email=email)
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_token_of(form.text),
            "email": email,
            "password": PASSWORD,
            "next": "/network?tab=2",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/network?tab=2"


HTTPS: dict[str, Any] = {"secure_cookies": True, "public_url": "https://vinculo.example"}


def test_production_refuses_development_secrets_and_plain_cookies() -> None:
    with pytest.raises(ValidationError, match="VINCULO_SECRET_KEY"):
        Settings(environment="production", secret_key=DEVELOPMENT_SECRET_KEY, **HTTPS)
    with pytest.raises(ValidationError, match="VINCULO_SECRET_KEY"):
        Settings(environment="production", secret_key="short", **HTTPS)
    with pytest.raises(ValidationError, match="VINCULO_SECURE_COOKIES"):
        Settings(environment="production", secret_key=STRONG_KEY, public_url="https://x.example")
    with pytest.raises(ValidationError, match="VINCULO_PUBLIC_URL"):
        Settings(environment="production", secret_key=STRONG_KEY, secure_cookies=True)
    settings = Settings(environment="production", secret_key=STRONG_KEY, **HTTPS)
    assert settings.environment == "production"


def test_production_refuses_the_demo_community(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VINCULO_ENVIRONMENT", "production")
    monkeypatch.setenv("VINCULO_SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("VINCULO_SECURE_COOKIES", "true")
    monkeypatch.setenv("VINCULO_PUBLIC_URL", "https://vinculo.example")
    vinculo("db", "upgrade", database_url=database_url)
    refused = vinculo("demo", "--members", "20", database_url=database_url, check=False)
    assert refused.returncode == 1
    assert "production" in refused.stderr
    assert "Log in as" not in refused.stdout


def test_trace_is_refused(client: TestClient) -> None:
    for path in ("/", "/api/v1/members/me", "/login"):
        answer = client.request("TRACE", path)
        assert answer.status_code == 405, (path, answer.status_code)
        assert "TRACE" not in answer.headers.get("allow", "")
