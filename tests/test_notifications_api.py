"""Notifications through the JSON API: newest first a page at a time, read per member, and none
naming a member on the other side of a block."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    INVITATIONS,
    NOTIFICATIONS,
    act,
    connect_people,
    invite,
    notifications,
    people,
)


def test_notifications_come_newest_first_a_page_at_a_time(client: TestClient) -> None:
    """Notifications and received invitations page newest first; reading them clears the unread
    count."""
    ana, beto, carla, dani = people(client, "Ana", "Beto", "Carla", "Dani")
    sent = [invite(client, other, to=ana) for other in (beto, carla, dani)]
    first = client.get(NOTIFICATIONS, params={"limit": 2}, headers=ana.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["unread"] == 3
    assert [(item["actor"]["id"], item["invitation_id"]) for item in page["items"]] == [
        (dani.id, sent[2]["id"]),
        (carla.id, sent[1]["id"]),
    ]
    assert all(item["kind"] == "invitation_received" for item in page["items"])
    assert all(item["read"] is False for item in page["items"])
    assert page["next_cursor"]
    rest = client.get(
        NOTIFICATIONS, params={"limit": 2, "cursor": page["next_cursor"]}, headers=ana.headers
    ).json()
    assert [item["actor"]["id"] for item in rest["items"]] == [beto.id]
    assert rest["next_cursor"] is None
    # The invitations themselves come the same way.
    page = client.get(INVITATIONS, params={"limit": 2}, headers=ana.headers).json()
    assert [item["id"] for item in page["items"]] == [sent[2]["id"], sent[1]["id"]]
    rest = client.get(
        INVITATIONS, params={"limit": 2, "cursor": page["next_cursor"]}, headers=ana.headers
    ).json()
    assert [item["id"] for item in rest["items"]] == [sent[0]["id"]]
    assert rest["next_cursor"] is None

    read = client.post(f"{NOTIFICATIONS}/read", headers=ana.headers)
    assert read.status_code == 204
    after = client.get(NOTIFICATIONS, headers=ana.headers).json()
    assert after["unread"] == 0
    assert [item["read"] for item in after["items"]] == [True, True, True]
    # Reading is per member, and new ones arrive unread.
    assert client.get(NOTIFICATIONS, headers=beto.headers).json()["unread"] == 0
    act(client, ana, sent[0]["id"], "accept")
    beto_page = client.get(NOTIFICATIONS, headers=beto.headers).json()
    assert beto_page["unread"] == 1
    assert [(i["kind"], i["actor"]["id"], i["read"]) for i in beto_page["items"]] == [
        ("invitation_accepted", ana.id, False)
    ]
    assert client.get(NOTIFICATIONS, headers=ana.headers).json()["unread"] == 0


def test_a_block_takes_the_other_out_of_old_notifications_both_ways(client: TestClient) -> None:
    """Notifications from before a block no longer name the other member, for either of the two,
    nor count as unread; unblocking brings them back."""
    ana, beto, carla = people(client, "Ana", "Beto", "Carla")
    connect_people(client, ana, beto)
    invite(client, carla, to=beto)
    assert [actor for _, actor, _ in notifications(client, beto)] == [carla.id, ana.id]
    assert [actor for _, actor, _ in notifications(client, ana)] == [beto.id]

    blocked = client.post(BLOCKS, json={"member": ana.id}, headers=beto.headers)
    assert blocked.status_code == 201, blocked.text
    assert [actor for _, actor, _ in notifications(client, beto)] == [carla.id]
    assert client.get(NOTIFICATIONS, headers=beto.headers).json()["unread"] == 1
    assert notifications(client, ana) == []
    assert client.get(NOTIFICATIONS, headers=ana.headers).json()["unread"] == 0

    unblocked = client.delete(f"{BLOCKS}/{ana.id}", headers=beto.headers)
    assert unblocked.status_code == 204, unblocked.text
    assert [actor for _, actor, _ in notifications(client, beto)] == [carla.id, ana.id]
