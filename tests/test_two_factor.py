"""Two-factor sign-in through the API and the pages: setting it up with a first code, logins that
need a code (of the current step, or one either side), wrong and replayed codes refused and
throttled like wrong passwords, recovery codes that work once, and turning it off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.helpers import (
    PASSWORD,
    bearer,
    csrf_token_of,
    fields_of,
    new_email,
    page_text,
    post_form,
    problem_of,
    register,
    token_for,
)
from vinculo import clock
from vinculo.db import Database
from vinculo.identity.models import RecoveryCode, TwoFactor

TOKEN = "/api/v1/auth/token"
TWO_FACTOR = "/api/v1/auth/two-factor"


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    """The product's clock, stopped 10 s into a 30-second step, so that a code computed at its
    "now" stays current until the test moves it."""
    start = datetime.now(UTC).replace(microsecond=0)
    start -= timedelta(seconds=start.second % 30 - 10)
    with clock.frozen(start) as frozen_clock:
        yield frozen_clock


def code_of(secret: str, *, steps: int = 0) -> str:
    """The app's code at the product's now, or so many 30-second steps away from it."""
    return pyotp.TOTP(secret).at(clock.now(), counter_offset=steps)


class Member:
    """A registered member with a bearer token, who can turn two-factor sign-in on."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.email = new_email("twofactor")
        register(client, email=self.email)
        self.headers = bearer(token_for(client, self.email))
        self.secret = ""

    def turn_on(self) -> list[str]:
        started = self.client.post(TWO_FACTOR, json={"password": PASSWORD}, headers=self.headers)
        assert started.status_code == 201, started.text
        self.secret = started.json()["secret"]
        assert started.json()["otpauth_uri"].startswith("otpauth://totp/")
        assert started.headers["cache-control"] == "no-store"
        confirmed = self.client.post(
            f"{TWO_FACTOR}/confirm", json={"code": code_of(self.secret)}, headers=self.headers
        )
        assert confirmed.status_code == 200, confirmed.text
        codes: list[str] = confirmed.json()["recovery_codes"]
        return codes

    def log_in(self, **body: str) -> Any:
        return self.client.post(TOKEN, json={"email": self.email, "password": PASSWORD, **body})

    def status(self) -> dict[str, Any]:
        found = self.client.get(TWO_FACTOR, headers=self.headers)
        assert found.status_code == 200, found.text
        body: dict[str, Any] = found.json()
        return body


def test_turning_it_on_makes_a_token_need_a_code(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    assert ana.status() == {"enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    assert ana.log_in(code="123456").status_code == 200  # a code is ignored while it is off

    codes = ana.turn_on()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code) for code in codes)
    status = ana.status()
    assert status["enabled"] is True
    assert status["recovery_codes_left"] == 10

    needed = problem_of(ana.log_in(), 401, slug="second-factor-required")
    assert "code" in needed["detail"]
    # The code that confirmed the set-up was used: it does not work again.
    problem_of(ana.log_in(code=code_of(ana.secret)), 401, slug="wrong-second-factor")
    frozen.advance(timedelta(seconds=30))
    signed = ana.log_in(code=code_of(ana.secret))
    assert signed.status_code == 200, signed.text
    assert client.get(
        "/api/v1/members/me", headers=bearer(signed.json()["access_token"])
    ).is_success
    # Nor does a code work twice, nor an older one once a newer was used.
    problem_of(ana.log_in(code=code_of(ana.secret)), 401, slug="wrong-second-factor")
    problem_of(ana.log_in(code=code_of(ana.secret, steps=-1)), 401, slug="wrong-second-factor")
    # A wrong password is still the same answer as for anyone, code or not.
    wrong = client.post(
        TOKEN, json={"email": ana.email, "password": "not the password", "code": "000000"}
    )
    problem_of(wrong, 401, slug="invalid-credentials")


def test_a_code_one_step_either_side_is_accepted_two_are_not(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    ana.turn_on()
    frozen.advance(timedelta(minutes=5))
    problem_of(ana.log_in(code=code_of(ana.secret, steps=-2)), 401, slug="wrong-second-factor")
    assert ana.log_in(code=code_of(ana.secret, steps=-1)).status_code == 200
    assert ana.log_in(code=code_of(ana.secret, steps=1)).status_code == 200
    problem_of(ana.log_in(code=code_of(ana.secret, steps=2)), 401, slug="wrong-second-factor")


def test_wrong_codes_are_throttled_like_wrong_passwords(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    ana.turn_on()
    frozen.advance(timedelta(seconds=30))
    right = code_of(ana.secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        problem_of(ana.log_in(code=wrong), 401, slug="wrong-second-factor")
    blocked = problem_of(ana.log_in(code=right), 429, slug="too-many-login-attempts")
    assert blocked["status"] == 429
    frozen.advance(timedelta(minutes=16))
    assert ana.log_in(code=code_of(ana.secret)).status_code == 200


def test_a_recovery_code_works_once_and_new_ones_replace_the_old(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    first, second, *_ = ana.turn_on()
    assert ana.log_in(code=first.upper().replace("-", " ")).status_code == 200
    problem_of(ana.log_in(code=first), 401, slug="wrong-second-factor")
    assert ana.status()["recovery_codes_left"] == 9

    frozen.advance(timedelta(seconds=30))
    wrong_password = client.post(
        f"{TWO_FACTOR}/recovery-codes",
        json={"password": "not the password", "code": code_of(ana.secret)},
        headers=ana.headers,
    )
    assert fields_of(problem_of(wrong_password, 422, slug="wrong-password-or-code")) == ["password"]
    renewed = client.post(
        f"{TWO_FACTOR}/recovery-codes",
        json={"password": PASSWORD, "code": code_of(ana.secret)},
        headers=ana.headers,
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.headers["cache-control"] == "no-store"
    new_codes = renewed.json()["recovery_codes"]
    assert len(new_codes) == 10
    problem_of(ana.log_in(code=second), 401, slug="wrong-second-factor")
    assert ana.log_in(code=new_codes[0]).status_code == 200


def test_turning_it_off_needs_the_password_and_a_code(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    recovery = ana.turn_on()
    frozen.advance(timedelta(seconds=30))
    disable = f"{TWO_FACTOR}/disable"
    attempts = [
        ({"password": "not the password", "code": code_of(ana.secret)}, "password"),
        ({"password": PASSWORD, "code": "000000"}, "code"),
    ]
    for body, field in attempts:
        refused = client.post(disable, json=body, headers=ana.headers)
        assert fields_of(problem_of(refused, 422, slug="wrong-password-or-code")) == [field]
    missing = client.post(disable, json={"password": PASSWORD}, headers=ana.headers)
    assert "code" in fields_of(problem_of(missing, 422))
    assert ana.status()["enabled"] is True

    turned_off = client.post(
        disable, json={"password": PASSWORD, "code": recovery[3]}, headers=ana.headers
    )
    assert turned_off.status_code == 204, turned_off.text
    assert ana.status() == {"enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    assert ana.log_in().status_code == 200
    log = client.get(
        "/api/v1/members/me/security-events", params={"limit": 100}, headers=ana.headers
    )
    changes = [e["detail"] for e in log.json()["items"] if e["kind"] == "two_factor_changed"]
    assert changes == ["off", "on"]  # newest first
    failures = [e["detail"] for e in log.json()["items"] if e["kind"] == "login_failed"]
    assert failures == ["account settings", "account settings"]
    problem_of(
        client.post(disable, json={"password": PASSWORD, "code": recovery[4]}, headers=ana.headers),
        409,
        slug="two-factor-off",
    )


def test_set_up_refuses_a_wrong_password_a_wrong_code_and_a_second_app(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    no_start = client.post(f"{TWO_FACTOR}/confirm", json={"code": "123456"}, headers=ana.headers)
    problem_of(no_start, 409, slug="no-two-factor-enrolment")
    wrong = client.post(TWO_FACTOR, json={"password": "not the password"}, headers=ana.headers)
    assert fields_of(problem_of(wrong, 422, slug="wrong-password-or-code")) == ["password"]
    started = client.post(TWO_FACTOR, json={"password": PASSWORD}, headers=ana.headers)
    secret = started.json()["secret"]
    bad_code = f"{(int(code_of(secret)) + 1) % 1_000_000:06d}"
    refused = client.post(f"{TWO_FACTOR}/confirm", json={"code": bad_code}, headers=ana.headers)
    assert fields_of(problem_of(refused, 422, slug="wrong-password-or-code")) == ["code"]
    # Not on until confirmed: a token needs no code yet.
    assert ana.log_in().status_code == 200
    ana.turn_on()
    again = client.post(TWO_FACTOR, json={"password": PASSWORD}, headers=ana.headers)
    problem_of(again, 409, slug="two-factor-already-on")
    # Wrong passwords and codes in these forms count as failed logins.
    for _ in range(5):
        client.post(TWO_FACTOR, json={"password": "not the password"}, headers=ana.headers)
    problem_of(ana.log_in(code=code_of(ana.secret, steps=1)), 429)


def test_the_secret_and_the_recovery_codes_are_not_stored_in_clear(
    client: TestClient, database: Database, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    codes = ana.turn_on()
    with database.unit_of_work(write=False) as db:
        [stored_secret] = db.scalars(select(TwoFactor.secret))
        hashes = list(db.scalars(select(RecoveryCode.code_hash)))
    assert ana.secret not in stored_secret
    assert len(hashes) == 10
    assert not {code.replace("-", "") for code in codes} & set(hashes)
    # Once on, the secret is never shown again.
    assert ana.secret not in str(ana.status())


# The pages


def _log_in_form(client: TestClient, email: str) -> Any:
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "csrf_token": csrf_token_of(form.text),
            "email": email,
            "password": PASSWORD,
            "next": "/settings",
        },
        follow_redirects=False,
    )


def test_pages_set_it_up_and_the_login_asks_for_the_code(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    email = new_email("twofactor")
    register(client, email=email)
    assert _log_in_form(client, email).status_code == 303

    off = page_text(client.get("/settings/two-factor").text)
    assert "Two-factor sign-in is off" in off
    started = post_form(
        client,
        "/settings/two-factor/start",
        {"password": PASSWORD},
        form_page="/settings/two-factor",
    )
    assert started.status_code == 303
    set_up = client.get("/settings/two-factor")
    assert set_up.headers["cache-control"] == "no-store"
    assert "<svg" in set_up.text
    found = re.search(r"<code>([A-Z2-7]{32})</code>", set_up.text)
    assert found, "the page shows no key"
    secret = found.group(1)
    confirmed = post_form(
        client,
        "/settings/two-factor/confirm",
        {"code": code_of(secret)},
        form_page="/settings/two-factor",
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", confirmed.text)
    assert 'action="/settings/sessions/end-others"' in confirmed.text  # the offer to end others
    assert len(codes) == 10
    on = client.get("/settings/two-factor").text
    assert secret not in on
    assert "Two-factor sign-in is on" in page_text(on)

    client.post("/logout", data={"csrf_token": csrf_token_of(on)})
    client.cookies.clear()
    # The right password leads to the code form; no session yet.
    password_step = _log_in_form(client, email)
    assert password_step.status_code == 303
    assert password_step.headers["location"].startswith("/login/code")
    assert "vinculo_session" not in client.cookies
    assert client.get("/settings", follow_redirects=False).status_code != 200

    code_form = client.get(password_step.headers["location"])
    assert "one-time-code" in code_form.text
    spanish = client.get(password_step.headers["location"], headers={"Accept-Language": "es"})
    assert "Introduce tu código" in page_text(spanish.text)
    data = {"csrf_token": csrf_token_of(code_form.text), "next": "/settings"}
    replayed = client.post("/login/code", data={**data, "code": code_of(secret)})
    assert replayed.status_code == 401
    assert "The code is not right" in page_text(replayed.text)
    assert "vinculo_session" not in client.cookies

    frozen.advance(timedelta(seconds=30))
    signed = client.post(
        "/login/code", data={**data, "code": code_of(secret)}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/settings"
    assert client.get("/settings").status_code == 200


def test_pages_log_in_with_a_recovery_code_once_and_turn_it_off(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    codes = ana.turn_on()

    def second_step(code: str) -> Any:
        client.cookies.clear()
        assert _log_in_form(client, ana.email).status_code == 303
        form = client.get("/login/code")
        return client.post(
            "/login/code",
            data={"csrf_token": csrf_token_of(form.text), "code": code, "next": "/"},
            follow_redirects=False,
        )

    assert second_step(codes[0]).status_code == 303
    assert second_step(codes[0]).status_code == 401
    assert second_step(codes[1]).status_code == 303

    frozen.advance(timedelta(seconds=30))
    turned_off = post_form(
        client,
        "/settings/two-factor/disable",
        {"password": PASSWORD, "code": code_of(ana.secret)},
        form_page="/settings/two-factor",
    )
    assert turned_off.status_code == 303
    assert "Two-factor sign-in is off" in page_text(
        client.get("/settings?saved=two-factor-off").text
    )
    client.cookies.clear()
    assert _log_in_form(client, ana.email).headers["location"] == "/settings"


def test_a_forged_or_stale_pending_sign_in_is_refused(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    ana.turn_on()
    assert _log_in_form(client, ana.email).status_code == 303
    form = client.get("/login/code")
    pending = client.cookies["vinculo_sign_in"]
    member_id, expires, signature = pending.split(".")
    data = {"csrf_token": csrf_token_of(form.text), "next": "/"}

    client.cookies.delete("vinculo_sign_in")
    client.cookies.set("vinculo_sign_in", f"{int(member_id) + 1}.{expires}.{signature}")
    forged = client.post("/login/code", data={**data, "code": code_of(ana.secret, steps=1)})
    assert forged.status_code == 401
    assert "Too much time passed" in page_text(forged.text)
    assert "vinculo_session" not in client.cookies

    for nonsense in (f"{2**63}.{expires}.{signature}", f"{member_id}.{'9' * 5000}.x", ".."):
        client.cookies.delete("vinculo_sign_in")
        client.cookies.set("vinculo_sign_in", nonsense)
        refused = client.post("/login/code", data={**data, "code": "123456"})
        assert refused.status_code == 401, nonsense

    client.cookies.delete("vinculo_sign_in")
    client.cookies.set("vinculo_sign_in", pending)
    frozen.advance(timedelta(minutes=11))
    stale = client.post("/login/code", data={**data, "code": code_of(ana.secret)})
    assert stale.status_code == 401
    assert "vinculo_session" not in client.cookies


def test_pages_throttle_wrong_codes_like_wrong_passwords(
    client: TestClient, frozen: clock.FrozenClock
) -> None:
    ana = Member(client)
    ana.turn_on()
    frozen.advance(timedelta(seconds=30))
    assert _log_in_form(client, ana.email).status_code == 303
    form = client.get("/login/code")
    data = {"csrf_token": csrf_token_of(form.text), "next": "/"}
    right = code_of(ana.secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post("/login/code", data={**data, "code": wrong}).status_code == 401
    blocked = client.post("/login/code", data={**data, "code": right})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "vinculo_session" not in client.cookies
    # The password step is throttled too: the failures are the account's.
    assert _log_in_form(client, ana.email).status_code == 429
    frozen.advance(timedelta(minutes=16))
    assert _log_in_form(client, ana.email).status_code == 303
    form = client.get("/login/code")
    signed = client.post(
        "/login/code",
        data={"csrf_token": csrf_token_of(form.text), "code": code_of(ana.secret), "next": "/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
