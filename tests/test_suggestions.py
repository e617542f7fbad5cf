"""People you should know, end to end: who is suggested and why (in both languages), who never
is, dismissing, the section on My network with Connect and Dismiss, and `vinculo graph suggest`."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from starlette.testclient import TestClient

from tests.helpers import connect, log_in_page, member_with_token, post_form, problem_of
from tests.test_import import vinculo

SUGGESTIONS = "/api/v1/network/suggestions"
Person = tuple[dict[str, Any], dict[str, str]]


def _work(client: TestClient, person: Person, organization: str, start: str, end: str) -> None:
    body = {"organization": organization, "title": "Analista", "start": start, "end": end}
    added = client.post("/api/v1/members/me/positions", json=body, headers=person[1])
    assert added.status_code == 201, added.text


def _community(client: TestClient) -> dict[str, Person]:
    """Ana knows Beto and Carla; Dani knows both of them; Eva worked at Acme with Ana; Gil was
    at Acme years before; Fede shares nothing with Ana."""
    people = {
        key: member_with_token(client, name=name)
        for key, name in [
            ("ana", "Ana Ruiz"),
            ("beto", "Beto Gil"),
            ("carla", "Carla Núñez"),
            ("dani", "Dani Sol"),
            ("eva", "Eva Mora"),
            ("fede", "Fede Paz"),
            ("gil", "Gil Arce"),
        ]
    }
    for a, b in [("ana", "beto"), ("ana", "carla"), ("beto", "dani"), ("carla", "dani")]:
        connect(client, people[a][1], to=people[b][0]["id"], to_headers=people[b][1])
    _work(client, people["ana"], "Acme", "2019", "2021")
    _work(client, people["eva"], "ACME", "2020", "2023")
    _work(client, people["gil"], "Acme", "2005", "2008")
    return people


def _suggested(client: TestClient, person: Person, **headers: str) -> list[dict[str, Any]]:
    found = client.get(SUGGESTIONS, headers={**person[1], **headers})
    assert found.status_code == 200, found.text
    items: list[dict[str, Any]] = found.json()["items"]
    return items


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["member"]["id"] for item in items]


def test_a_real_link_is_suggested_with_its_reasons(client: TestClient) -> None:
    people = _community(client)
    ana = people["ana"]
    items = _suggested(client, ana)
    ids = _ids(items)
    assert set(ids) == {people["dani"][0]["id"], people["eva"][0]["id"]}
    by_id = {item["member"]["id"]: item for item in items}
    dani, eva = by_id[people["dani"][0]["id"]], by_id[people["eva"][0]["id"]]
    assert dani["reasons"][0] == "2 mutual connections, including Beto Gil and Carla Núñez"
    assert dani["member"]["degree"] == 2
    assert dani["member"]["mutual_count"] == 2
    assert eva["reasons"] == ["Both at Acme 2020–2021"]
    assert "Acme (2020–2021)" in eva["suggested_note"]
    assert all(item["score"] > 0 for item in items)
    assert [item["score"] for item in items] == sorted((i["score"] for i in items), reverse=True)
    # In the member's language: Spanish from the browser when they chose none.
    spanish = _suggested(client, ana, **{"Accept-Language": "es"})
    reasons = {item["member"]["id"]: item["reasons"] for item in spanish}
    assert reasons[people["eva"][0]["id"]] == ["Coincidisteis en Acme 2020–2021"]
    assert reasons[people["dani"][0]["id"]][0].startswith("2 contactos en común, entre ellos")
    # The limit is kept, and checked.
    assert len(_suggested(client, ana)[:1]) == 1
    one = client.get(SUGGESTIONS, params={"limit": 1}, headers=ana[1]).json()["items"]
    assert _ids(one) == ids[:1]
    problem_of(client.get(SUGGESTIONS, params={"limit": 0}, headers=ana[1]), 422)
    problem_of(client.get(SUGGESTIONS, params={"limit": 51}, headers=ana[1]), 422)
    problem_of(client.get(SUGGESTIONS), 401)


def test_invitations_blocks_and_dismissals_keep_members_out(client: TestClient) -> None:
    people = _community(client)
    ana = people["ana"]
    dani_id, eva_id = people["dani"][0]["id"], people["eva"][0]["id"]
    # An open invitation either way, then the cooldown after withdrawing it.
    sent = client.post("/api/v1/invitations", json={"to": dani_id}, headers=ana[1])
    assert sent.status_code == 201
    assert _ids(_suggested(client, ana)) == [eva_id]
    assert client.post(f"/api/v1/invitations/{sent.json()['id']}/withdraw", headers=ana[1])
    assert _ids(_suggested(client, ana)) == [eva_id]
    # Eva is suggested to Ana until Ana dismisses her; undoing brings her back.
    assert client.put(f"{SUGGESTIONS}/dismissed/{eva_id}", headers=ana[1]).status_code == 204
    assert client.put(f"{SUGGESTIONS}/dismissed/{eva_id}", headers=ana[1]).status_code == 204
    assert _ids(_suggested(client, ana)) == []
    assert client.delete(f"{SUGGESTIONS}/dismissed/{eva_id}", headers=ana[1]).status_code == 204
    assert _ids(_suggested(client, ana)) == [eva_id]
    again = client.delete(f"{SUGGESTIONS}/dismissed/{eva_id}", headers=ana[1])
    problem_of(again, 404, slug="suggestion-not-dismissed")
    problem_of(client.put(f"{SUGGESTIONS}/dismissed/999999", headers=ana[1]), 404)
    problem_of(client.put(f"{SUGGESTIONS}/dismissed/{ana[0]['id']}", headers=ana[1]), 404)
    # A block either way: never suggested, and not dismissable (they are not there for you).
    assert client.post("/api/v1/blocks", json={"member": ana[0]["id"]}, headers=people["eva"][1])
    assert _ids(_suggested(client, ana)) == []
    problem_of(client.put(f"{SUGGESTIONS}/dismissed/{eva_id}", headers=ana[1]), 404)


def test_my_network_shows_suggestions_with_connect_and_dismiss(client: TestClient) -> None:
    people = _community(client)
    ana = people["ana"]
    log_in_page(client, ana[0]["email"])
    page = client.get("/network")
    assert page.status_code == 200
    assert "People you should know" in page.text
    eva_id = people["eva"][0]["id"]
    note = quote("Hello! We were both at Acme (2020–2021). I would be glad to connect.")
    assert f'href="/members/{eva_id}/invite?note={note}"' in page.text
    form = client.get(f"/members/{eva_id}/invite?note={note}")
    assert "We were both at Acme (2020–2021)" in form.text
    dismissed = post_form(
        client, f"/network/suggestions/{eva_id}/dismiss?from=network", {}, form_page="/network"
    )
    assert dismissed.status_code == 303
    assert dismissed.headers["location"] == "/network?done=dismissed"
    after = client.get("/network?done=dismissed").text
    assert "We will not suggest this member again." in after
    assert f"suggestion-{eva_id}" not in after
    full = client.get("/network/suggestions")
    assert full.status_code == 200
    assert f"suggestion-{people['dani'][0]['id']}" in full.text
    assert full.text.count("2 mutual connections") == 1  # said once, in the reasons
    # Without the form token nothing is dismissed.
    forged = client.post(
        f"/network/suggestions/{people['dani'][0]['id']}/dismiss", data={"csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert f"suggestion-{people['dani'][0]['id']}" in client.get("/network/suggestions").text


def test_graph_suggest_answers_as_the_contract_says(client: TestClient, database_url: str) -> None:
    people = _community(client)
    ana_id = people["ana"][0]["id"]
    done = vinculo(
        "graph", "suggest", str(ana_id), "--limit", "5", "--json", database_url=database_url
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert {item["member"] for item in answer["items"]} == {
        people["dani"][0]["id"],
        people["eva"][0]["id"],
    }
    assert all(isinstance(item["score"], float) and item["reasons"] for item in answer["items"])
    batch = vinculo(
        "graph",
        "batch",
        database_url=database_url,
        stdin=json.dumps({"op": "suggest", "a": ana_id, "limit": 1})
        + "\n"
        + json.dumps({"op": "suggest", "a": ana_id, "limit": 0})
        + "\n",
    )
    first, second = (json.loads(line) for line in batch.stdout.splitlines())
    assert len(first["items"]) == 1
    assert "limit" in second["error"]
