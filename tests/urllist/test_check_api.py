"""`GET /api/v1/urllist/check?url=`: a member asks whether an address is listed."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import MemberKind, Scope
from hotline.urllist.actions import add_domain_to_url_list
from tests.conftest import MemberKey
from tests.urllist.world import add, remove

pytestmark = pytest.mark.django_db
CHECK = "/api/v1/urllist/check"


def key_with(*scopes: Scope, per_minute: int = 60) -> MemberKey:
    member = create_member(name=f"Member {'+'.join(scopes)}", kind=MemberKind.SEARCH_ENGINE)
    key, plaintext = issue_api_key(
        member=member, scopes=list(scopes), requests_per_minute=per_minute
    )
    return MemberKey(key, plaintext)


def ask(client: Client, member: MemberKey, url: str | None) -> tuple[int, dict[str, object]]:
    params = {} if url is None else {"url": url}
    response = client.get(CHECK, params, headers=member.header)
    return response.status_code, response.json()


def test_a_listed_url_is_answered_with_its_entry(client: Client) -> None:
    entry = add("http://listed.example/page", category="B")
    status, body = ask(client, key_with(Scope.MATCH_READ), "HTTP://LISTED.example/page#x")
    assert status == 200
    assert body == {
        "listed": True,
        "canonical_url": "http://listed.example/page",
        "entry": {"id": entry.pk, "category": "B", "kind": "url", "domain": None},
    }


def test_an_address_under_a_listed_domain_names_the_domain(client: Client) -> None:
    entry = add_domain_to_url_list(domain="abuse.test", category="A", case_id=7, actor="system")
    status, body = ask(client, key_with(Scope.URLLIST_READ), "https://a.b.abuse.test/x?y=1")
    assert status == 200
    assert body["entry"] == {
        "id": entry.pk,
        "category": "A",
        "kind": "domain",
        "domain": "abuse.test",
    }
    status, body = ask(client, key_with(Scope.MATCH_READ), "http://notabuse.test/")
    assert (status, body["listed"], body["entry"]) == (200, False, None)


def test_an_unlisted_or_removed_address_is_not_listed(client: Client) -> None:
    add("http://gone.example/")
    remove("http://gone.example/")
    member = key_with(Scope.MATCH_READ)
    for url, canonical in [
        ("gone.example", "http://gone.example/"),
        ("http://never.example/a?utm_source=x", "http://never.example/a"),
    ]:
        status, body = ask(client, member, url)
        assert (status, body) == (200, {"listed": False, "canonical_url": canonical, "entry": None})


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (None, "Give the address to check as ?url="),
        ("   ", "Give the address to check as ?url="),
        ("javascript:alert(1)", "only http and https"),
        ("http://exa mple.test/", "spaces"),
    ],
)
def test_a_missing_or_wrong_address_is_a_400_saying_what_to_send(
    client: Client, url: str | None, says: str
) -> None:
    status, body = ask(client, key_with(Scope.MATCH_READ), url)
    assert status == 400
    assert body["error"] == "bad_request"
    assert says in str(body["message"])


def test_keys_without_the_match_or_url_list_licence_are_refused(client: Client) -> None:
    status, body = ask(client, key_with(Scope.URLLIST_HASHED_READ), "http://a.example/")
    assert (status, body["error"]) == (403, "scope")
    response = client.get(CHECK, {"url": "http://a.example/"})
    assert response.status_code == 401


def test_the_keys_rate_limit_holds(client: Client) -> None:
    member = key_with(Scope.MATCH_READ, per_minute=2)
    assert ask(client, member, "http://a.example/")[0] == 200
    assert ask(client, member, "http://a.example/")[0] == 200
    response = client.get(CHECK, {"url": "http://a.example/"}, headers=member.header)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_the_openapi_document_describes_every_answer(client: Client) -> None:
    operation = client.get("/api/v1/openapi.json").json()["paths"][CHECK]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429"}
    ok = operation["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == {"$ref": "#/components/schemas/CheckOut"}
    assert ok["example"]["listed"] is True
