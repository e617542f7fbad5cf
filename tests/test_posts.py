"""Posts, comments, reactions and reports through the JSON API: rendering at write time (a safe
subset of Markdown, links made clickable, nothing that runs), mentions, editing and deleting
your own, a group's admins removing, and who may reach a post: every role of a group and an
outsider, and a block either way (404)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    MISSING,
    Person,
    connect_people,
    fields_of,
    notifications,
    people,
    problem_of,
)
from tests.posts_helpers import POSTS, items, make_group, post, posted
from vinculo.db import Database
from vinculo.posts.models import COMMENT_MAX, POST_MAX
from vinculo.security.models import SecurityEvent


def test_a_profile_post_is_rendered_once_safely_and_read_by_members(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    text = (
        "**Hola** _equipo_, see www.example.org\n"
        "<script>alert(1)</script> [x](javascript:alert(1)) ![img](https://e.org/i.png)\n\n"
        "- one\n- two\n\n# not a heading"
    )
    response = post(client, ana, text)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["group"] is None
    assert body["author"]["id"] == ana.id
    assert body["text"] == text
    html = body["html"]
    assert "<strong>Hola</strong>" in html
    assert "<em>equipo</em>" in html
    assert '<a href="http://www.example.org" rel="nofollow ugc noopener">' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert "<img" not in html
    assert "<li>one</li>" in html
    assert "<h1>" not in html
    # Every member who may see her reads it, on her profile.
    [listed] = items(client, beto, f"/api/v1/members/{ana.id}/posts")
    assert listed["id"] == body["id"]
    assert listed["html"] == html


def test_text_is_required_and_bounded(client: TestClient) -> None:
    [ana] = people(client, "Ana Ruiz")
    for text in ("", "   ", "x" * (POST_MAX + 1)):
        problem = problem_of(post(client, ana, text), 422)
        assert fields_of(problem) == ["text"]
    assert fields_of(problem_of(client.post(POSTS, json={}, headers=ana.headers), 422)) == ["text"]
    assert post(client, ana, "x" * POST_MAX).status_code == 201


def test_edit_and_delete_your_own_post(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    post_id = posted(client, ana, "first")
    edited = client.patch(f"{POSTS}/{post_id}", json={"text": "*second*"}, headers=ana.headers)
    assert edited.status_code == 200, edited.text
    assert edited.json()["html"] == "<p><em>second</em></p>"
    assert edited.json()["edited_at"] is not None
    # Another member may read it, not change it.
    problem_of(
        client.patch(f"{POSTS}/{post_id}", json={"text": "mine"}, headers=beto.headers),
        403,
        slug="not-your-post",
    )
    problem_of(client.delete(f"{POSTS}/{post_id}", headers=beto.headers), 403)
    assert client.delete(f"{POSTS}/{post_id}", headers=ana.headers).status_code == 204
    problem_of(client.get(f"{POSTS}/{post_id}", headers=ana.headers), 404, slug="post-not-found")
    problem_of(client.delete(f"{POSTS}/{post_id}", headers=ana.headers), 404)


def test_a_block_either_way_hides_posts_and_their_comments(client: TestClient) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    post_id = posted(client, ana, "hola")
    comment = client.post(
        f"{POSTS}/{post_id}/comments", json={"text": "from carla"}, headers=carla.headers
    )
    assert comment.status_code == 201
    assert client.post(BLOCKS, json={"member": ana.id}, headers=beto.headers).status_code == 201
    assert client.post(BLOCKS, json={"member": carla.id}, headers=ana.headers).status_code == 201
    for path in (f"{POSTS}/{post_id}", f"{POSTS}/{post_id}/comments"):
        problem_of(client.get(path, headers=beto.headers), 404)
    problem_of(client.get(f"/api/v1/members/{ana.id}/posts", headers=beto.headers), 404)
    # Ana no longer sees Carla's comment; Carla no longer sees the post.
    assert items(client, ana, f"{POSTS}/{post_id}/comments") == []
    problem_of(client.get(f"{POSTS}/{post_id}", headers=carla.headers), 404)


# Groups: every role and an outsider


@pytest.fixture
def cast(client: TestClient) -> dict[str, Person]:
    names = ("owner", "admin", "member", "outsider", "banned", "invited")
    return dict(zip(names, people(client, *names), strict=True))


def _reach(client: TestClient, person: Person, post_id: int) -> dict[str, int]:
    """The status each way of reaching a post gives this member."""
    return {
        "read": client.get(f"{POSTS}/{post_id}", headers=person.headers).status_code,
        "comments": client.get(f"{POSTS}/{post_id}/comments", headers=person.headers).status_code,
        "comment": client.post(
            f"{POSTS}/{post_id}/comments", json={"text": "hi"}, headers=person.headers
        ).status_code,
        "react": client.put(
            f"{POSTS}/{post_id}/reaction", json={"kind": "like"}, headers=person.headers
        ).status_code,
    }


@pytest.mark.parametrize("policy", ["open", "request", "private"])
def test_who_may_read_and_take_part_in_a_groups_posts(
    client: TestClient, database: Database, cast: dict[str, Person], policy: str
) -> None:
    group = make_group(
        database,
        owner=cast["owner"].id,
        policy=policy,
        admins=[cast["admin"].id],
        members=[cast["member"].id],
        banned=[cast["banned"].id],
        invited=[cast["invited"].id],
    )
    post_id = posted(client, cast["member"], "in the group", group=group)
    for role in ("owner", "admin", "member"):
        assert _reach(client, cast[role], post_id) == {
            "read": 200,
            "comments": 200,
            "comment": 201,
            "react": 200,
        }, role
        assert [p["id"] for p in items(client, cast[role], f"/api/v1/groups/{group}/posts")] == [
            post_id
        ]
    listing = f"/api/v1/groups/{group}/posts"
    for role in ("outsider", "invited"):
        person = cast[role]
        if policy == "open":
            # An open group's posts are for every member of the community; taking part is for
            # its members.
            assert _reach(client, person, post_id) == {
                "read": 200,
                "comments": 200,
                "comment": 403,
                "react": 403,
            }
            assert len(items(client, person, listing)) == 1
        else:
            assert set(_reach(client, person, post_id).values()) == {404}, role
            problem_of(client.get(listing, headers=person.headers), 404)
            problem_of(client.post(f"{POSTS}/{post_id}/report", headers=person.headers), 404)
        status = 403 if policy == "open" else 404
        problem_of(post(client, person, "let me in", group=group), status)
    # A member the group banned reaches nothing of it.
    assert set(_reach(client, cast["banned"], post_id).values()) == {404}
    problem_of(client.get(listing, headers=cast["banned"].headers), 404)
    # Nobody reaches a group or a post that does not exist.
    problem_of(client.get(f"/api/v1/groups/{MISSING}/posts", headers=cast["member"].headers), 404)
    problem_of(
        client.post(f"{POSTS}/{MISSING}/comments", json={}, headers=cast["member"].headers), 404
    )


def test_admins_remove_posts_and_comments_in_their_group_only(
    client: TestClient, database: Database, cast: dict[str, Person]
) -> None:
    group = make_group(
        database, owner=cast["owner"].id, admins=[cast["admin"].id], members=[cast["member"].id]
    )
    elsewhere = make_group(database, owner=cast["outsider"].id, name="Otro grupo")
    post_id = posted(client, cast["member"], "spam?", group=group)
    profile_post = posted(client, cast["member"], "mine")
    comment = client.post(
        f"{POSTS}/{post_id}/comments", json={"text": "also spam"}, headers=cast["member"].headers
    ).json()
    # The owner of another group, and an admin outside their group, may not.
    problem_of(client.delete(f"{POSTS}/{post_id}", headers=cast["outsider"].headers), 403)
    problem_of(client.delete(f"{POSTS}/{profile_post}", headers=cast["admin"].headers), 403)
    assert elsewhere
    assert (
        client.delete(f"/api/v1/comments/{comment['id']}", headers=cast["admin"].headers)
    ).status_code == 204
    assert client.delete(f"{POSTS}/{post_id}", headers=cast["owner"].headers).status_code == 204
    assert items(client, cast["member"], f"/api/v1/groups/{group}/posts") == []


# Comments, reactions, reports, mentions


def test_comments_notify_the_author_and_are_listed_oldest_first(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    post_id = posted(client, ana, "hola")
    for text in ("one", "two", "three", "four"):
        made = client.post(f"{POSTS}/{post_id}/comments", json={"text": text}, headers=beto.headers)
        assert made.status_code == 201, made.text
    listed = items(client, ana, f"{POSTS}/{post_id}/comments")
    assert [c["text"] for c in listed] == ["one", "two", "three", "four"]
    first_page = client.get(
        f"{POSTS}/{post_id}/comments", params={"limit": 3}, headers=ana.headers
    ).json()
    rest = items(client, ana, f"{POSTS}/{post_id}/comments", cursor=first_page["next_cursor"])
    assert [c["text"] for c in rest] == ["four"]
    shown = client.get(f"{POSTS}/{post_id}", headers=ana.headers).json()
    assert shown["comment_count"] == 4
    assert [c["text"] for c in shown["comments"]] == ["two", "three", "four"]
    kinds = [(kind, actor) for kind, actor, _ in notifications(client, ana)]
    assert kinds.count(("post_commented", beto.id)) == 4
    # Editing and deleting your own comment; too long names the field.
    comment_id = listed[0]["id"]
    problem = problem_of(
        client.patch(
            f"/api/v1/comments/{comment_id}",
            json={"text": "x" * (COMMENT_MAX + 1)},
            headers=beto.headers,
        ),
        422,
    )
    assert fields_of(problem) == ["text"]
    problem_of(
        client.patch(f"/api/v1/comments/{comment_id}", json={"text": "n"}, headers=ana.headers),
        403,
    )
    edited = client.patch(
        f"/api/v1/comments/{comment_id}", json={"text": "**uno**"}, headers=beto.headers
    )
    assert edited.json()["html"] == "<p><strong>uno</strong></p>"
    assert client.delete(f"/api/v1/comments/{comment_id}", headers=beto.headers).status_code == 204
    assert len(items(client, ana, f"{POSTS}/{post_id}/comments")) == 3


def test_one_reaction_per_member_with_counts(client: TestClient) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz")
    post_id = posted(client, ana, "hola")

    def react(person: Person, kind: str | None) -> Any:
        return client.put(
            f"{POSTS}/{post_id}/reaction", json={"kind": kind}, headers=person.headers
        )

    assert react(beto, "like").json()["reactions"] == {"like": 1}
    assert react(beto, "celebrate").json()["reactions"] == {"celebrate": 1}
    shown = react(carla, "celebrate").json()
    assert shown["reactions"] == {"celebrate": 2}
    assert shown["my_reaction"] == "celebrate"
    assert client.get(f"{POSTS}/{post_id}", headers=ana.headers).json()["my_reaction"] is None
    assert fields_of(problem_of(react(beto, None), 422)) == ["kind"]
    problem_of(react(beto, "love"), 422)
    assert client.delete(f"{POSTS}/{post_id}/reaction", headers=beto.headers).status_code == 204
    assert client.get(f"{POSTS}/{post_id}", headers=ana.headers).json()["reactions"] == {
        "celebrate": 1
    }


def test_a_post_is_reported_once_and_kept_in_the_reporters_log(
    client: TestClient, database: Database
) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    post_id = posted(client, ana, "buy now")
    report = f"{POSTS}/{post_id}/report"
    assert client.post(report, json={"reason": "spam"}, headers=beto.headers).status_code == 204
    problem_of(client.post(report, headers=beto.headers), 409, slug="post-already-reported")
    with database.unit_of_work(write=False) as db:
        details = list(
            db.scalars(select(SecurityEvent.detail).where(SecurityEvent.member_id == beto.id))
        )
    assert f"post #{post_id}" in details


def test_mentions_link_and_notify_those_who_may_read_the_post(
    client: TestClient, database: Database
) -> None:
    ana, beto, carla, dani = people(client, "Ana Ruiz", "Beto Gil", "Carla Sanz", "Dani Paz")
    connect_people(client, ana, beto)
    private = make_group(database, owner=ana.id, policy="private", members=[beto.id])
    text = f"Hola @[Beto]({beto.id}) y @[Carla]({carla.id}) y @[Nadie]({MISSING})"
    in_group = client.post(
        f"/api/v1/groups/{private}/posts", json={"text": text}, headers=ana.headers
    ).json()
    assert (
        f'<a href="/members/{beto.id}" rel="nofollow ugc noopener">@Beto Gil</a>'
        in (in_group["html"])
    )
    assert "@Nadie" in in_group["html"]
    assert ("mentioned", ana.id) in [(k, a) for k, a, _ in notifications(client, beto)]
    # Carla may not read a private group's posts: she is not told.
    assert notifications(client, carla) == []
    # On a profile post, and in an edit only the newly mentioned are told.
    profile_post = posted(client, ana, f"@[Carla]({carla.id})")
    client.patch(
        f"{POSTS}/{profile_post}",
        json={"text": f"@[Carla]({carla.id}) @[Dani]({dani.id})"},
        headers=ana.headers,
    )
    assert [k for k, _, _ in notifications(client, carla)] == ["mentioned"]
    assert [k for k, _, _ in notifications(client, dani)] == ["mentioned"]
    listed = client.get("/api/v1/notifications", headers=dani.headers).json()["items"]
    assert listed[0]["post_id"] == profile_post
