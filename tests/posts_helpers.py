"""Small steps the posts tests share: groups with members in each role, written straight into
the tables (the groups API is built apart), and posts through the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.testclient import TestClient

from tests.helpers import Person
from vinculo import clock
from vinculo.db import Database
from vinculo.groups import service as groups
from vinculo.groups.models import GroupMember
from vinculo.identity.models import Member

POSTS = "/api/v1/posts"


def make_group(
    database: Database,
    *,
    owner: int,
    policy: str = "open",
    members: Sequence[int] = (),
    admins: Sequence[int] = (),
    banned: Sequence[int] = (),
    invited: Sequence[int] = (),
    name: str = "Puertos del Mediterráneo",
) -> int:
    """A group its owner created, with members in each standing; its id."""
    with database.unit_of_work() as db:
        creator = db.get(Member, owner)
        assert creator is not None
        group = groups.create_group(
            db, creator=creator, name=name, description="", sector="", policy=policy
        ).group
        now = clock.now()
        places = [(m, "member", "member") for m in members]
        places += [(m, "admin", "member") for m in admins]
        places += [(m, "member", "banned") for m in banned]
        places += [(m, "member", "invited") for m in invited]
        for member_id, role, standing in places:
            db.add(
                GroupMember(
                    group_id=group.id,
                    member_id=member_id,
                    role=role,
                    standing=standing,
                    created_at=now,
                    changed_at=now,
                )
            )
        return group.id


def post(client: TestClient, person: Person, text: str, *, group: int | None = None) -> Any:
    path = f"/api/v1/groups/{group}/posts" if group is not None else POSTS
    return client.post(path, json={"text": text}, headers=person.headers)


def posted(client: TestClient, person: Person, text: str, *, group: int | None = None) -> int:
    response = post(client, person, text, group=group)
    assert response.status_code == 201, response.text
    post_id: int = response.json()["id"]
    return post_id


def items(client: TestClient, person: Person, path: str, **params: Any) -> list[dict[str, Any]]:
    listed = client.get(path, params={"limit": 100, **params}, headers=person.headers)
    assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()["items"]
    return found
