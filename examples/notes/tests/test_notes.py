"""The caller's notes through HTTP: create, read, update, delete, pages, and privacy."""

from __future__ import annotations

from uuid import uuid4

from core.testing import TrellisClient
from modules.auth.testing import Account, sign_up

NOTES = "/api/v1/notes"


async def add(client: TrellisClient, owner: Account, title: str, body: str = "") -> str:
    response = await client.post(NOTES, json={"title": title, "body": body}, headers=owner.headers)
    assert response.status_code == 201, response.text
    note_id: str = response.json()["id"]
    return note_id


async def test_a_note_is_created_read_changed_and_deleted(
    client: TrellisClient, user: Account
) -> None:
    created = await client.post(NOTES, json={"title": "Milk"}, headers=user.headers)
    assert created.status_code == 201
    note = created.json()
    assert (note["title"], note["body"]) == ("Milk", "")
    assert set(note) == {"id", "title", "body", "created_at", "updated_at"}
    url = f"{NOTES}/{note['id']}"

    assert (await client.get(url, headers=user.headers)).json() == note

    changed = await client.patch(url, json={"body": "two litres"}, headers=user.headers)
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["body"]) == ("Milk", "two litres")
    assert changed.json()["updated_at"] > note["updated_at"]

    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404


async def test_a_change_sends_only_known_fields_and_no_nulls(
    client: TrellisClient, user: Account
) -> None:
    url = f"{NOTES}/{await add(client, user, 'Milk')}"
    for body in ({"owner_id": str(uuid4())}, {"title": None}, {"title": ""}):
        response = await client.patch(url, json=body, headers=user.headers)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    unchanged = await client.patch(url, json={}, headers=user.headers)
    assert unchanged.json()["title"] == "Milk"


async def test_the_list_pages_through_the_callers_notes_newest_first(
    client: TrellisClient, user: Account
) -> None:
    ids = [await add(client, user, f"note {number}") for number in range(5)]
    other = await sign_up(client)
    await add(client, other, "not mine")

    pages = []
    for offset in (0, 2, 4):
        response = await client.get(f"{NOTES}?limit=2&offset={offset}", headers=user.headers)
        assert response.status_code == 200
        page = response.json()
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, offset)
        pages += [item["id"] for item in page["items"]]
    assert pages == ids[::-1]


async def test_the_page_size_is_capped(client: TrellisClient, user: Account) -> None:
    response = await client.get(f"{NOTES}?limit=100000", headers=user.headers)
    assert response.json()["limit"] == 100
    assert (await client.get(f"{NOTES}?limit=0", headers=user.headers)).status_code == 422


async def test_someone_elses_note_answers_like_a_missing_one(
    client: TrellisClient, user: Account
) -> None:
    other = await sign_up(client)
    theirs = f"{NOTES}/{await add(client, other, 'Diary')}"
    missing = f"{NOTES}/{uuid4()}"
    answers = [
        await client.get(theirs, headers=user.headers),
        await client.patch(theirs, json={"title": "mine now"}, headers=user.headers),
        await client.delete(theirs, headers=user.headers),
        await client.get(missing, headers=user.headers),
    ]
    assert {response.status_code for response in answers} == {404}
    assert len({response.json()["detail"] for response in answers}) == 1
    assert (await client.get(theirs, headers=other.headers)).json()["title"] == "Diary"


async def test_notes_need_a_signed_in_caller(client: TrellisClient) -> None:
    response = await client.get(NOTES)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_stats_need_the_moderate_right(
    client: TrellisClient, user: Account, superuser: Account
) -> None:
    await add(client, user, "one")
    await add(client, user, "two")
    refused = await client.get(f"{NOTES}/stats", headers=user.headers)
    assert refused.status_code == 403
    allowed = await client.get(f"{NOTES}/stats", headers=superuser.headers)
    assert allowed.json() == {"notes": 2, "owners": 1}
