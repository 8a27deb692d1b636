"""Rate limits: a connection, and a whole portal, may send only so many reports an hour.

Counted under a keyed hash of the address, never the address itself. The portal's limit holds
back only reports without a verified proof of work: a flood of junk fills it, and people whose
browsers did the work still get through.
"""

from __future__ import annotations

from django.core.cache import cache
from django.test import Client, RequestFactory

from hotline.core.ratelimit import client_key
from hotline.intake.models import Report
from hotline.intake.pow import new_challenge
from hotline.portals.models import Portal
from tests.conftest import solve


def limit(portal: Portal, **options: int) -> None:
    portal.options = {**portal.options, **options}
    portal.save(update_fields=["options"])


def send(client: Client, address: str, text: str = "http://one.example/a") -> int:
    return client.post("/tn/en/report/", {"urls": text}, REMOTE_ADDR=address).status_code


def test_one_connection_may_send_so_many_then_is_asked_to_wait(client: Client, tn: Portal) -> None:
    limit(tn, reports_per_client_per_hour=3)
    assert [send(client, "203.0.113.5") for _ in range(3)] == [302, 302, 302]
    response = client.post(
        "/tn/en/report/", {"urls": "http://kept.example/typed"}, REMOTE_ADDR="203.0.113.5"
    )
    page = response.content.decode()
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 3600
    assert "You have sent many reports in a short time. Please try again in" in page
    assert "http://kept.example/typed" in page  # nothing typed is lost
    assert send(client, "198.51.100.7") == 302  # another connection is not held up
    assert Report.objects.count() == 4


def test_the_portal_asks_everyone_to_wait_under_a_flood(client: Client, tn: Portal) -> None:
    limit(tn, reports_per_portal_per_hour=5)
    codes = [send(client, f"203.0.113.{n}") for n in range(1, 8)]
    assert codes == [302] * 5 + [429] * 2
    page = client.post("/tn/en/report/", {"urls": "x"}, REMOTE_ADDR="192.0.2.1").content
    assert b"This portal is receiving very many reports right now." in page


def test_the_portals_limit_counts_and_holds_back_only_unverified_reports(
    client: Client, tn: Portal
) -> None:
    limit(tn, reports_per_portal_per_hour=2)

    def verified(address: str) -> int:
        data = {"urls": "http://real.example/", "altcha": solve(new_challenge(portal=tn))}
        return client.post("/tn/en/report/", data, REMOTE_ADDR=address).status_code

    assert [send(client, "203.0.113.1"), verified("203.0.113.2")] == [302, 302]
    assert [send(client, "203.0.113.3"), send(client, "203.0.113.4")] == [302, 429]
    # The portal is full for unverified reports; verified ones still go ahead, and never
    # counted towards it (the third report above was the second unverified one).
    assert [verified(f"198.51.100.{n}") for n in range(1, 6)] == [302] * 5
    assert Report.objects.filter(verified=True).count() == 6
    assert Report.objects.filter(verified=False).count() == 2


def test_a_connection_is_limited_with_or_without_proof_of_work(client: Client, tn: Portal) -> None:
    limit(tn, reports_per_client_per_hour=2)
    codes = [
        client.post(
            "/tn/en/report/",
            {"urls": "http://one.example/", "altcha": solve(new_challenge(portal=tn))},
            REMOTE_ADDR="203.0.113.8",
        ).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_the_limit_speaks_the_portals_language(client: Client, tn: Portal) -> None:
    limit(tn, reports_per_client_per_hour=1)
    client.post("/tn/fr/report/", {"urls": "http://one.example/"}, REMOTE_ADDR="203.0.113.9")
    response = client.post("/tn/fr/report/", {"urls": "x"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429 and 'lang="fr"' in response.content.decode()


def test_addresses_are_counted_under_a_keyed_hash_and_never_kept(
    client: Client, tn: Portal, rf: RequestFactory
) -> None:
    send(client, "203.0.113.77")
    stored = " ".join(str(key) for key in cache._cache)  # type: ignore[attr-defined]
    assert "203.0.113.77" not in stored and "ratelimit:report-client" in stored
    request = rf.get("/", REMOTE_ADDR="203.0.113.77")
    key = client_key(request)
    assert key in stored and "203.0.113.77" not in key
    cache.clear()  # a new day's secret: the same address gets another key
    assert client_key(request) != key


def test_behind_a_proxy_the_forwarded_address_counts(
    client: Client, tn: Portal, settings: object
) -> None:
    settings.HOTLINE_TRUSTED_PROXY_HOPS = 1  # type: ignore[attr-defined]
    limit(tn, reports_per_client_per_hour=1)

    def via_proxy(address: str) -> int:
        return client.post(
            "/tn/en/report/",
            {"urls": "http://one.example/"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.1, {address}",
        ).status_code

    assert [via_proxy("203.0.113.1"), via_proxy("203.0.113.2"), via_proxy("203.0.113.1")] == [
        302,
        302,
        429,
    ]
