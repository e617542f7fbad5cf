"""Passwords under attack, through the API and the pages: registrations limited per address and
per network block, and an unknown email costing the same hashing work as a known one."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.helpers import PASSWORD, new_email, register
from vinculo.app import create_app
from vinculo.db import Database
from vinculo.settings import get_settings

REGISTER = "/api/v1/auth/register"


def _app(database: Database, **settings: Any) -> FastAPI:
    return create_app(get_settings().model_copy(update=settings), database=database)


def _register_from(app: FastAPI, address: str) -> int:
    with TestClient(app, client=(address, 40000)) as client:
        response = client.post(
            REGISTER, json={"email": new_email(), "password": PASSWORD, "name": "Ana Ruiz"}
        )
        return response.status_code


def test_registrations_are_limited_per_network_block(database: Database) -> None:
    """Each address may register 5 an hour, and each block of addresses (IPv4 /24, IPv6 /48:
    what one provider or organization usually holds) 3: cycling through the addresses of one
    block does not get around the limit; another block is not held back."""
    app = _app(database, registration_rate_limit="5/hour", registration_network_rate_limit="3/hour")
    statuses = [_register_from(app, f"203.0.113.{host}") for host in (1, 2, 3, 4)]
    assert statuses == [201, 201, 201, 429]
    assert _register_from(app, "198.51.100.1") == 201
    # IPv6: four /64s (each one client) in one /48.
    statuses = [_register_from(app, f"2001:db8:7:{subnet}::1") for subnet in (1, 2, 3, 4)]
    assert statuses == [201, 201, 201, 429]
    assert _register_from(app, "2001:db8:8::1") == 201


def test_registrations_per_address_group_ipv6_by_64(database: Database) -> None:
    app = _app(
        database, registration_rate_limit="2/hour", registration_network_rate_limit="100/hour"
    )
    statuses = [_register_from(app, f"2001:db8:9:1::{host}") for host in (1, 2, 3)]
    assert statuses == [201, 201, 429]
    assert _register_from(app, "2001:db8:9:2::1") == 201


def test_an_unknown_email_costs_the_same_hashing_work(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing belongs in benchmarks: here, the work. A login with an unknown email verifies a
    password against an argon2id hash exactly as a wrong password for a known one does."""
    email = new_email()
    register(client, email=email)
    verified: list[str] = []
    verify = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        verified.append(str(hash)[:10])
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    known = client.post("/api/v1/auth/token", json={"email": email, "password": "wrong password"})
    assert (known.status_code, len(verified)) == (401, 1)
    unknown = client.post(
        "/api/v1/auth/token", json={"email": new_email(), "password": "wrong password"}
    )
    assert (unknown.status_code, len(verified)) == (401, 2)
    assert verified[0] == verified[1] == "$argon2id$"
