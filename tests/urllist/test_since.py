"""`?since=V`: the changes after a version, at once, in each format's diff form."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.urllist.actions import add_domain_to_url_list
from tests.conftest import MemberKey
from tests.urllist.world import add, download, publish, remove


@pytest.fixture
def changed(db: None) -> None:
    """v1 add a (C), v2 add b, v3 recategorise a to A, v4 remove b."""
    add("http://a.example/", "C")
    add("http://b.example/x,y", "B")
    add("http://a.example/", "A")
    remove("http://b.example/x,y")


def test_changes_are_served_at_once_without_a_publication(
    client: Client, isp: MemberKey, changed: None
) -> None:
    feed = download(client, isp, since="1")
    assert feed.status == 200
    assert feed["ETag"] == '"1-4-json"'
    assert feed["X-Hotline-List-Version"] == "4"
    body = feed.json()
    assert (body["from"], body["to"]) == (1, 4)
    assert [(c["op"], c["version"], c["url"], c["category"]) for c in body["changes"]] == [
        ("add", 2, "http://b.example/x,y", "B"),
        ("add", 3, "http://a.example/", "A"),
        ("remove", 4, "http://b.example/x,y", "B"),
    ]
    assert body["changes"][2]["reason"] == "content removed"


def test_txt_and_sha256_changes_are_plus_and_minus_lines(
    client: Client, isp: MemberKey, changed: None
) -> None:
    assert download(client, isp, format="txt", since="2").lines() == [
        "+http://a.example/",
        "-http://b.example/x,y",
    ]
    hashed = download(client, isp, format="sha256", since="2").lines()
    assert [line[0] for line in hashed] == ["+", "-"]
    assert all(len(line) == 65 for line in hashed)


def test_csv_changes_have_an_op_column(client: Client, isp: MemberKey, changed: None) -> None:
    rows = download(client, isp, format="csv", since="3").body.decode().splitlines()
    assert rows == [
        "op,version,url,category,kind,domain,reason",
        'remove,4,"http://b.example/x,y",B,url,,content removed',
    ]


def test_a_domain_entry_change_names_the_domain(client: Client, isp: MemberKey) -> None:
    add_domain_to_url_list(domain="dedicated.example", category="A", case_id=1, actor="system")
    (change,) = download(client, isp, since="0").json()["changes"]
    assert (change["op"], change["kind"], change["domain"]) == (
        "add",
        "domain",
        "dedicated.example",
    )


def test_since_the_latest_version_is_an_empty_list_of_changes(
    client: Client, isp: MemberKey, changed: None
) -> None:
    feed = download(client, isp, since="4")
    assert (feed.status, feed["ETag"], feed.json()["changes"]) == (200, '"4-4-json"', [])
    assert download(client, isp, since="4", etag='"4-4-json"').status == 304
    add("http://c.example/")
    assert download(client, isp, since="4", etag='"4-4-json"').status == 200


def test_since_does_not_depend_on_publication(
    client: Client, isp: MemberKey, changed: None
) -> None:
    before = download(client, isp, since="0").body
    publish()
    assert download(client, isp, since="0").body == before


@pytest.mark.parametrize(
    ("since", "says"),
    [
        ("9", "since=9 is newer than the list, whose latest version is 4"),
        ("-1", "is not a version number"),
        ("v3", "is not a version number"),
        ("", "is not a version number"),
    ],
)
def test_a_bad_since_is_400_saying_what_to_send(
    client: Client, isp: MemberKey, changed: None, since: str, says: str
) -> None:
    feed = download(client, isp, since=since)
    assert feed.status == 400
    assert says in feed.json()["message"]
