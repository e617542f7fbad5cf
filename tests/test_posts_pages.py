"""The post pages as browsers use them: writing from the home page (the feed shows it to a
connection), a post's page with comments, reactions, editing, deleting and reporting; refusals
shown on the form with their status and nothing written; a group's posts; activity on the
profile; the notifications of mentions and comments."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.testclient import TestClient

from tests.helpers import Browser, page_text
from tests.posts_helpers import make_group
from vinculo.db import Database
from vinculo.posts.models import POST_MAX


def _posts_of(browser: Browser, member_id: int) -> list[dict[str, object]]:
    listed = browser.client.get(f"/api/v1/members/{member_id}/posts", headers=browser.api)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, object]] = listed.json()["items"]
    return items


def test_write_from_home_and_take_part_on_the_posts_page(ana: Browser, beto: Browser) -> None:
    ana.connect(beto)
    home = ana.page("/")
    assert "Write a post" in home
    written = ana.post("/posts", {"text": f"**Hola** @[Beto]({beto.id})"}, form_page="/")
    assert written.status_code == 303
    assert written.headers["location"] == "/"
    [post] = _posts_of(ana, ana.id)
    post_id = post["id"]
    feed = beto.page("/")
    assert "Hola" in feed
    assert f'href="/posts/{post_id}"' in feed
    # Beto is told he was mentioned, and comments and reacts on the post's page.
    notes = beto.page("/notifications")
    assert "Ana Ruiz mentioned you in a post." in notes
    assert f'href="/posts/{post_id}"' in notes
    page = f"/posts/{post_id}"
    commented = beto.post(f"{page}/comments", {"text": "_gracias_"}, form_page=page)
    assert commented.status_code == 303
    reacted = beto.post(f"{page}/react", {"kind": "celebrate"}, form_page=page)
    assert reacted.status_code == 303
    shown = beto.page(page)
    assert "<em>gracias</em>" in shown
    assert "Celebrate 1" in shown
    assert "Beto Gil commented on your post." in ana.page("/notifications")
    # Reported once; a second time is refused on the page, with its status.
    assert beto.post(f"{page}/report", {"reason": "test"}, form_page=page).status_code == 303
    again = beto.post(f"{page}/report", {"reason": ""}, form_page=page)
    assert again.status_code == 409
    assert "You have already reported this post." in page_text(again.text)
    # Ana edits, then deletes.
    edited = ana.post(f"{page}/edit", {"text": "Adiós"}, form_page=f"{page}/edit")
    assert edited.status_code == 303
    assert "Adiós" in ana.page(page)
    assert "edited" in ana.page(page)
    assert ana.post(f"{page}/delete", form_page=page).status_code == 303
    assert beto.client.get(page).status_code == 404


def test_a_refused_post_is_shown_on_the_form_and_nothing_is_written(ana: Browser) -> None:
    too_long = ana.post("/posts", {"text": "x" * (POST_MAX + 1)}, form_page="/")
    assert too_long.status_code == 422
    assert f"At most {POST_MAX} characters." in page_text(too_long.text)
    blank = ana.post("/posts", {"text": "  "}, form_page="/")
    assert blank.status_code == 422
    assert "Write something first." in page_text(blank.text)
    assert _posts_of(ana, ana.id) == []


def test_a_groups_posts_and_the_profiles_activity(
    ana: Browser, beto: Browser, app: FastAPI, database: Database
) -> None:
    group = make_group(database, owner=ana.id, policy="private", members=[beto.id])
    panel = f"/groups/{group}/posts"
    assert "Write in this group" in beto.page(panel)
    written = beto.post(
        "/posts", {"text": "en el grupo", "group": str(group), "next": panel}, form_page=panel
    )
    assert written.status_code == 303
    assert written.headers["location"] == panel
    assert "en el grupo" in ana.page(panel)
    profile = ana.page(f"/members/{beto.id}")
    assert "Activity" in profile
    assert "1 post" in profile
    assert "en el grupo" in profile
    with TestClient(app) as third:
        carla = Browser(third, name="Carla Sanz")
        assert carla.client.get(panel).status_code == 404
        seen = carla.page(f"/members/{beto.id}")
        assert "en el grupo" not in seen
        assert "0 posts" in seen
