"""What every part of the API has in common: its OpenAPI document and reference, problem details
for every error and a page explaining each problem type, and the API conforming to its own
document when driven by generated requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from tests.helpers import (
    bearer,
    fields_of,
    member_with_token,
    new_email,
    problem_of,
    register,
    token_for,
)
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.errors import VinculoError, registered_errors
from vinculo.settings import get_settings
from vinculo.web.problems import HTTP_PROBLEMS


def _openapi_document() -> dict[str, Any]:
    """The document the application serves, made without a database: none is opened for it."""
    unused = Database("sqlite:///never-opened.db")
    document: dict[str, Any] = create_app(get_settings(), database=unused).openapi()
    return document


OPENAPI = _openapi_document()

# The OpenAPI document and the API reference


def test_the_openapi_document_lists_the_api(client: TestClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Vínculo"
    paths = spec["paths"]
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/token",
        "/api/v1/members",
        "/api/v1/members/me",
        "/api/v1/members/{member_id}",
        "/api/v1/members/me/positions",
        "/api/v1/members/me/positions/{position_id}",
        "/api/v1/members/me/education",
        "/api/v1/members/me/education/{education_id}",
        "/api/v1/invitations",
    ]:
        assert path in paths, path
    # Only the API is documented: pages are not operations of it.
    assert all(path.startswith("/api/v1/") for path in paths)
    assert set(paths["/api/v1/members/me"]) == {"get", "patch", "delete"}
    assert "bearer" in str(spec["components"]["securitySchemes"]).lower()


def test_every_api_error_is_documented_as_problem_details(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for status in ("401", "404", "422"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)


def test_the_api_reference_page_lists_the_operations(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    spec = client.get("/api/openapi.json").json()
    listed = set(re.findall(r'method--\w+">(\w+)</span> <code>([^<]+)</code>', page.text))
    expected = {
        (method.upper(), path) for path, methods in spec["paths"].items() for method in methods
    }
    assert listed == expected
    assert 'href="/api/openapi.json"' in page.text
    spanish = client.get("/api/docs", headers={"Accept-Language": "es"})
    assert "Referencia de la API" in spanish.text


# Problem types


def _problem_slugs() -> dict[str, int]:
    slugs = {cls.slug: cls.status for cls in registered_errors().values()}
    for status, (slug, _) in HTTP_PROBLEMS.items():
        slugs.setdefault(slug, status)
    return slugs


def test_the_registry_knows_the_errors_of_every_area(client: TestClient) -> None:
    slugs = _problem_slugs()
    for slug in [
        "invalid-input",
        "not-authenticated",
        "login-required",
        "csrf-failed",
        "member-not-found",
        "profile-entry-not-found",
        "profile-entry-limit",
        "invitation-not-found",
        "method-not-allowed",
        "server-error",
    ]:
        assert slug in slugs, slug
    # Each slug names one kind of problem.
    classes = list(registered_errors().values())
    assert len({cls.slug for cls in classes}) == len(classes)
    assert all(issubclass(cls, VinculoError) for cls in classes)


@pytest.mark.parametrize(("slug", "status"), sorted(_problem_slugs().items()))
def test_every_problem_type_has_a_page(client: TestClient, slug: str, status: int) -> None:
    page = client.get(f"/problems/{slug}")
    assert page.status_code == 200, slug
    assert "text/html" in page.headers["content-type"]
    assert f"/problems/{slug}" in page.text
    assert f"HTTP {status}" in page.text


def test_a_problem_page_speaks_spanish(client: TestClient) -> None:
    page = client.get("/problems/member-not-found", headers={"Accept-Language": "es"})
    assert page.status_code == 200
    assert '<html lang="es">' in page.text
    assert "Member not found" not in page.text


def test_an_unknown_problem_type_is_not_found(client: TestClient) -> None:
    page = client.get("/problems/no-such-problem")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]


def test_the_type_of_every_api_error_leads_to_its_page(client: TestClient) -> None:
    _, headers = member_with_token(client)
    answers = [
        client.get("/api/v1/members/me"),
        client.get("/api/v1/members/123456", headers=headers),
        client.patch("/api/v1/members/me", json={"about": None}, headers=headers),
        client.get("/api/v1/nowhere"),
        client.put("/api/v1/members/me", headers=headers),
    ]
    for answer in answers:
        problem = answer.json()
        assert client.get(problem["type"]).status_code == 200, problem


# Errors outside the routes


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v2/members", "/api/", "/api/v1"])
def test_an_unknown_api_route_is_a_404_problem(client: TestClient, path: str) -> None:
    problem_of(client.get(path), 404, slug="not-found")


def test_an_unknown_page_is_a_404_page(client: TestClient) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/members/me"),
        ("POST", "/api/v1/members/me"),
        ("POST", "/api/v1/members"),
        ("GET", "/api/v1/auth/token"),
    ],
)
def test_a_wrong_method_is_a_405_problem(client: TestClient, method: str, path: str) -> None:
    _, headers = member_with_token(client)
    response = client.request(method, path, headers=headers)
    problem_of(response, 405, slug="method-not-allowed")
    assert response.headers["allow"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"headline": "x"', "application/json"),
        (b"{'headline': 'x'}", "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"headline"', "application/json"),
    ],
)
def test_a_malformed_json_body_is_a_422_problem(
    client: TestClient, content: bytes, content_type: str
) -> None:
    _, headers = member_with_token(client)
    before = client.get("/api/v1/members/me", headers=headers).json()
    response = client.patch(
        "/api/v1/members/me", content=content, headers={**headers, "Content-Type": content_type}
    )
    problem = problem_of(response, 422, slug="invalid-input")
    assert fields_of(problem)
    assert client.get("/api/v1/members/me", headers=headers).json() == before


def test_a_body_that_is_not_even_text_is_a_400_problem(client: TestClient) -> None:
    _, headers = member_with_token(client)
    response = client.patch(
        "/api/v1/members/me",
        content=b'{"headline": "\xff"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    problem_of(response, 400, slug="bad-request")


def test_a_query_parameter_given_twice_is_refused_naming_it(client: TestClient) -> None:
    _, headers = member_with_token(client)
    response = client.get(
        "/api/v1/members", params=[("sector", "Logística"), ("sector", "Banca")], headers=headers
    )
    assert fields_of(problem_of(response, 422, slug="invalid-input")) == ["sector"]
    once = client.get("/api/v1/members", params={"sector": "Banca"}, headers=headers)
    assert once.status_code == 200, once.text


def test_a_broken_json_body_names_the_body(client: TestClient) -> None:
    _, headers = member_with_token(client)
    response = client.post(
        "/api/v1/members/me/positions",
        content=b'{"organization": ',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert fields_of(problem_of(response, 422, slug="invalid-input")) == ["body"]


def test_a_problem_lists_each_invalid_field(client: TestClient) -> None:
    _, headers = member_with_token(client)
    response = client.post(
        "/api/v1/members/me/positions",
        json={"organization": "", "start": "2019-13", "salary": 1},
        headers=headers,
    )
    problem = problem_of(response, 422, slug="invalid-input")
    assert set(fields_of(problem)) == {"organization", "title", "start", "salary"}
    assert all(error["message"] for error in problem["errors"])
    for field in fields_of(problem):
        assert field in problem["detail"]


def _operations_with_ids() -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, methods in OPENAPI["paths"].items()
        if "{" in path
        for method in methods
    ]


@pytest.mark.parametrize(("method", "path"), _operations_with_ids())
def test_an_id_nothing_has_is_refused_as_a_problem_never_a_server_error(
    client: TestClient, method: str, path: str
) -> None:
    """The largest id either database holds, and one past it, on every operation taking one."""
    _, headers = member_with_token(client)
    for number, expected in ((2**63 - 1, {403, 404}), (2**63, {422})):
        url = re.sub(r"\{\w+\}", str(number), path)
        body: dict[str, Any] | None = {} if method in {"PATCH", "POST", "PUT"} else None
        response = client.request(method, url, json=body, headers=headers)
        assert problem_of(response, response.status_code)["status"] in expected, (
            url,
            response.text,
        )


def test_the_health_checks(client: TestClient) -> None:
    assert client.get("/healthz/live").json() == {"status": "ok"}
    ready = {"status": "ok", "database": "ok", "graph_index": "ready"}
    for path in ("/healthz", "/healthz/ready"):
        response = client.get(path)
        assert (response.status_code, response.json()) == (200, ready)


def test_responses_carry_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/api/v1/nowhere"), client.get("/")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in response.headers["content-security-policy"]


# The API against its own document


class Caller:
    """A registered member's bearer token, and fresh ones for the operation that revokes it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.email = new_email("schemathesis")
        register(client, name="Schema Thesis", email=self.email)
        self.headers = bearer(token_for(client, self.email))

    def headers_for(self, case: schemathesis.Case[Any]) -> dict[str, str]:
        # Operations that may end the token they come with get a fresh one of their own.
        if case.method.upper() == "DELETE" and case.path in (
            "/api/v1/auth/token",
            "/api/v1/auth/sessions/{session_id}",
        ):
            return bearer(token_for(self.client, self.email))
        return self.headers


@pytest.fixture
def caller(app: FastAPI, database: Database) -> Iterator[Caller]:
    if not database.is_sqlite:
        pytest.skip("the generated requests run against SQLite only")
    try:
        # Schemathesis starts the application on its first request; this client only registers.
        yield Caller(TestClient(app))
    finally:
        # Schemathesis keeps the applications it started running; this test's database goes now.
        shutdown_lifespans()


generated = schemathesis.openapi.from_dict(OPENAPI)
# Query parameters the document does not name are ignored, as HTTP has it: they make no invalid
# request.
generated.config.generation.update(allow_extra_parameters=False)


# Refusals of valid-looking input that no JSON schema can state (they compare two fields, or a
# field with the caller or the stored state): the only 422s a valid request may get.
RULES_NO_DOCUMENT_CAN_STATE = {
    ("POST", "/api/v1/members/me/positions", "end"): "the end cannot come before the start",
    ("PATCH", "/api/v1/members/me/positions/{position_id}", "end"): "nor here",
    ("POST", "/api/v1/members/me/education", "end"): "the end cannot come before the start",
    ("PATCH", "/api/v1/members/me/education/{education_id}", "end"): "nor here",
    ("POST", "/api/v1/invitations", "to"): "no member invites themself",
    ("POST", "/api/v1/auth/password", "current_password"): "it must be the member's password",
    ("POST", "/api/v1/auth/password", "new_password"): "not easy to guess, for this member",
    ("POST", "/api/v1/auth/register", "password"): "not easy to guess, for this member",
    ("POST", "/api/v1/auth/token", "lifetime_days"): "at most the community's limit, a setting",
    ("POST", "/api/v1/auth/two-factor", "password"): "it must be the member's password",
    ("POST", "/api/v1/auth/two-factor/confirm", "code"): "it must be the app's current code",
    ("POST", "/api/v1/auth/two-factor/recovery-codes", "password"): "the member's password",
    ("POST", "/api/v1/auth/two-factor/recovery-codes", "code"): "and a current code",
    ("POST", "/api/v1/auth/two-factor/disable", "password"): "the member's password",
    ("POST", "/api/v1/auth/two-factor/disable", "code"): "and a current code",
    ("POST", "/api/v1/auth/password-reset/confirm", "token"): "a link mailed, unused, unexpired",
    ("POST", "/api/v1/auth/password-reset/confirm", "new_password"): "not easy to guess",
    ("POST", "/api/v1/auth/claim", "token"): "a link mailed, unused, unexpired",
    ("POST", "/api/v1/auth/claim", "password"): "not easy to guess, for this member",
    ("POST", "/api/v1/auth/confirm-email", "token"): "a link mailed, unused, unexpired",
    ("POST", "/api/v1/auth/email", "password"): "it must be the member's password",
    ("POST", "/api/v1/auth/email", "new_email"): "not the address the member has",
    ("DELETE", "/api/v1/members/me", "password"): "the member's password",
    ("POST", "/api/v1/introductions", "target"): "nobody asks to be introduced to themself",
    ("POST", "/api/v1/introductions", "via"): "one of the caller's connections who knows them",
    ("POST", "/api/v1/introductions", "message"): "not blank once trimmed",
    ("POST", "/api/v1/introductions/{introduction_id}/pass", "to"): "a connection who knows them",
    # Required, asked for once the post or group is found (a stranger gets its 404 first), and
    # not blank once trimmed.
    ("POST", "/api/v1/posts", "text"): "required, not blank once trimmed",
    ("POST", "/api/v1/groups/{group_id}/posts", "text"): "required, not blank once trimmed",
    ("PATCH", "/api/v1/posts/{post_id}", "text"): "required, not blank once trimmed",
    ("POST", "/api/v1/posts/{post_id}/comments", "text"): "required, not blank once trimmed",
    ("PATCH", "/api/v1/comments/{comment_id}", "text"): "required, not blank once trimmed",
    ("PUT", "/api/v1/posts/{post_id}/reaction", "kind"): "required",
}
# Refusals a valid request may meet: no token or a revoked one, an id nobody has (or one the
# caller may not know of), a state that conflicts, fair use.
STATUSES_NO_DOCUMENT_CAN_PREVENT = {401, 403, 404, 409, 429}


def _valid_request_taken(case: schemathesis.Case[Any], response: Any) -> None:
    """A request the document calls valid is taken, or refused only for a reason above."""
    status = response.status_code
    if status < 400 or status in STATUSES_NO_DOCUMENT_CAN_PREVENT:
        return
    operation = (case.method.upper(), case.path)
    if status == 422:
        fields = fields_of(response.json())
        if fields and all((*operation, field) in RULES_NO_DOCUMENT_CAN_STATE for field in fields):
            return
    pytest.fail(
        f"{case.method.upper()} {case.formatted_path} refused a request its document calls "
        f"valid: {status} {response.text}\n{case.as_curl_command()}"
    )


@generated.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_the_api_conforms_to_its_openapi_document(
    case: schemathesis.Case[Any], app: FastAPI, caller: Caller
) -> None:
    """Every operation, as a real member: no server error, every answer as documented, every
    request the document calls invalid refused, and every request it calls valid taken (or
    refused only for what the document cannot know: a missing or revoked token, an id nobody
    has, a state that conflicts, fair use)."""
    positive = (
        case.meta is None or case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE
    )
    if positive and isinstance(case.body, dict):
        # JSON Schema counts 1.0 as an integer; an id is a JSON integer, so a valid request
        # writes it as one.
        case.body = {
            key: int(value) if isinstance(value, float) and value.is_integer() else value
            for key, value in case.body.items()
        }
    if positive and isinstance(case.query, dict):
        # A cursor is opaque: only a list's own `next_cursor` is one, and no document can say
        # which strings those are. A valid request leaves it out.
        case.query.pop("cursor", None)
    response = case.call_and_validate(
        app=app,
        headers=caller.headers_for(case),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
    if positive:
        _valid_request_taken(case, response)
    if positive and (case.method.upper(), case.path) == ("GET", "/api/v1/members/me"):
        # Valid requests are made as the member, not refused for want of a token (negative ones
        # may leave the token out on purpose).
        assert response.status_code == 200, response.text
