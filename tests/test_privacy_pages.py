"""Blocking and privacy settings through the pages: the block confirmation, the blocked list
and unblocking, and settings that hide the connection list."""

from __future__ import annotations

from tests.helpers import Browser

# Blocking


def test_block_through_its_confirmation_then_unblock(ana: Browser, beto: Browser) -> None:
    ana.connect(beto)
    assert f'href="/members/{beto.id}/block"' in ana.page(f"/members/{beto.id}")
    assert "Block Beto Gil?" in ana.page(f"/members/{beto.id}/block")

    blocked = ana.post(f"/members/{beto.id}/block", form_page=f"/members/{beto.id}/block")
    assert blocked.status_code == 303
    assert blocked.headers["location"] == "/network/blocked?done=blocked"
    page = ana.page("/network/blocked")
    assert "Beto Gil" in page
    assert f'action="/network/blocked/{beto.id}/unblock"' in page
    assert ana.connection_ids() == []

    for path in (
        f"/members/{ana.id}",
        f"/members/{ana.id}/connections",
        f"/members/{ana.id}/mutual",
        f"/members/{ana.id}/invite",
    ):
        assert beto.client.get(path).status_code == 404, path
    assert ana.client.get(f"/members/{beto.id}").status_code == 404

    unblocked = ana.post(f"/network/blocked/{beto.id}/unblock", form_page="/network/blocked")
    assert unblocked.status_code == 303
    assert "You have not blocked anyone." in ana.page("/network/blocked")
    assert beto.client.get(f"/members/{ana.id}").status_code == 200


# Privacy


def test_privacy_settings_are_saved_and_hide_the_connection_list(
    ana: Browser, beto: Browser
) -> None:
    ana.connect(beto)
    assert 'href="/settings/privacy"' in ana.page("/settings")
    form = ana.page("/settings/privacy")
    assert 'name="who_can_invite" value="anyone" checked' in form
    assert 'name="connections_visible_to" value="connections" checked' in form

    saved = ana.post(
        "/settings/privacy",
        {"who_can_invite": "link", "connections_visible_to": "only_me"},
        form_page="/settings/privacy",
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings/privacy?saved=1"
    form = ana.page(saved.headers["location"])
    assert "Your privacy settings are saved." in form
    assert 'name="who_can_invite" value="link" checked' in form
    assert 'name="connections_visible_to" value="only_me" checked' in form

    private = beto.client.get(f"/members/{ana.id}/connections")
    assert private.status_code == 403
    assert "This member shows their connections to no one." in private.text
    assert f'href="/members/{ana.id}/connections"' not in beto.page(f"/members/{ana.id}")

    wrong = ana.post(
        "/settings/privacy", {"who_can_invite": "everyone"}, form_page="/settings/privacy"
    )
    assert wrong.status_code == 422
    assert "Choose one of the options." in wrong.text
    assert 'name="who_can_invite" value="link" checked' in ana.page("/settings/privacy")
