"""The fetcher never reaches inside the network it runs in (hotline/takedown/fetch.py).

Every case is a known server-side request forgery trick; each must be refused before a
connection is made. Most run with HOTLINE_FETCH_ALLOW_LOOPBACK off, as in production; the ones
that need the test world's web server (redirects, DNS rebinding) run with it on, where only
127.0.0.0/8 and ::1 are let through.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import dns.message
import pytest

from hotline.takedown.fetch import (
    FailureKind,
    Fetched,
    FetchFailed,
    FetchRefused,
    SafeFetcher,
    fetch_sync,
)
from tests.world.dns import WorldDns

ROOT = Path(__file__).resolve().parents[2]


def fetch(url: str, *, allow_loopback: bool, **kw) -> Fetched:
    async def one():
        async with SafeFetcher(allow_loopback=allow_loopback, connect_timeout=2, **kw) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(one())


TRICKS = {
    "decimal-ip": "http://2130706433/",
    "octal-ip": "http://0177.0.0.1/",
    "hex-ip": "http://0x7f.1/",
    "hex-dotted": "http://0x7f.0x0.0x0.0x1/",
    "short-form": "http://127.1/",
    "loopback": "http://127.0.0.1/",
    "loopback-other": "http://127.53.0.1:8080/",
    "zero": "http://0.0.0.0/",
    "zero-short": "http://0/",
    "ipv6-unspecified": "http://[::]/",
    "ipv6-loopback": "http://[::1]/",
    "ipv4-mapped": "http://[::ffff:127.0.0.1]/",
    "ipv4-mapped-hex": "http://[::ffff:7f00:1]/",
    "ipv4-mapped-private": "http://[::ffff:10.0.0.1]/",
    "ipv4-compatible": "http://[::127.0.0.1]/",
    "6to4-loopback": "http://[2002:7f00:0001::]/",
    "nat64-loopback": "http://[64:ff9b::7f00:1]/",
    "nat64-metadata": "http://[64:ff9b::a9fe:a9fe]/",
    "ipv6-link-local": "http://[fe80::1]/",
    "ipv6-unique-local": "http://[fd00::1]/",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data/",
    "private-10": "http://10.1.2.3/",
    "private-172": "http://172.16.0.1/",
    "private-192": "http://192.168.1.1/",
    "cgnat": "http://100.64.0.1/",
    "multicast": "http://224.0.0.1/",
    "reserved": "http://240.0.0.1/",
    "broadcast": "http://255.255.255.255/",
    "documentation": "http://192.0.2.10/",
    "credentials": "http://user:pass@site.test/",
    "at-sign-disguise": "http://site.test@127.0.0.1/",
    "fragment-disguise": "http://127.0.0.1#@site.test/",
    "file": "file:///etc/passwd",
    "gopher": "gopher://127.0.0.1:6379/_INFO",
    "ftp": "ftp://site.test/",
    "data": "data:text/html,<h1>hi</h1>",
    "javascript": "javascript:alert(1)",
    "smtp-port": "http://site.test:25/",
    "onion-without-proxy": "http://abcdefghijklmnop.onion/",
    "onion-trailing-dot": "http://abcdefghijklmnop.onion./",
    "ipv6-site-local": "http://[fec0::1]/",
    "port-beyond-65535": "http://site.test:99999/",
    "invalid-idna": "http://xn--n3h.test/",
}


@pytest.mark.parametrize("url", TRICKS.values(), ids=TRICKS.keys())
def test_an_ssrf_trick_is_refused(url, world_dns):
    with pytest.raises(FetchRefused) as refused:
        fetch(url, allow_loopback=False)

    assert refused.value.reason
    assert not world_dns.asked, "a literal address or bad URL must be refused before DNS"


NAMES = {
    "private-name": "10.0.0.5",
    "loopback-name": "127.0.0.1",
    "metadata-name": "169.254.169.254",
}


@pytest.mark.parametrize(("name", "address"), NAMES.items(), ids=NAMES.keys())
def test_a_name_resolving_to_an_internal_address_is_refused(name, address, world_dns):
    world_dns.answers[f"{name}.test"] = address

    with pytest.raises(FetchRefused, match=address.replace(".", r"\.")):
        fetch(f"http://{name}.test/", allow_loopback=False)

    assert world_dns.asked[f"{name}.test"] >= 1


def test_with_loopback_allowed_the_test_world_is_reachable_and_10_x_still_is_not(world_web):
    world_web.page("/hello", "<title>Hello</title>")

    fetched = fetch(world_web.url("/hello", host="site-1.test"), allow_loopback=True)

    assert fetched.status == 200
    assert fetched.server_ip == "127.0.0.1"
    assert b"Hello" in fetched.body
    with pytest.raises(FetchRefused):
        fetch("http://10.0.0.1/", allow_loopback=True)
    with pytest.raises(FetchRefused):
        fetch("http://[::ffff:127.0.0.1]/", allow_loopback=True)


def test_the_test_settings_allow_loopback_and_the_default_follows_them(world_web):
    world_web.page("/hello", "hi")

    assert fetch_sync(world_web.url("/hello")).status == 200


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.1/", "http://internal.test/admin", "http://[::ffff:192.168.1.1]/"],
    ids=["private-ip", "name-of-private-ip", "mapped-private"],
)
def test_a_redirect_to_an_internal_address_is_refused(target, world_web, world_dns):
    world_dns.answers["internal.test"] = "192.168.1.1"
    world_web.redirect("/go", target)
    world_web.redirect("/hop", "/go")

    with pytest.raises(FetchRefused):
        fetch(world_web.url("/hop", host="site-1.test"), allow_loopback=True)


def test_redirects_are_followed_and_recorded_up_to_five(world_web):
    for hop in range(7):
        world_web.redirect(f"/r{hop}", f"/r{hop + 1}")
    world_web.page("/r7", "end")
    world_web.page("/r5", "five")

    fetched = fetch(world_web.url("/r0"), allow_loopback=True)
    assert fetched.redirects == tuple(world_web.url(f"/r{n}") for n in range(1, 6))
    assert fetched.final_url == world_web.url("/r5")

    world_web.redirect("/r5", "/r6")
    with pytest.raises(FetchFailed) as failed:
        fetch(world_web.url("/r0"), allow_loopback=True)
    assert failed.value.kind == FailureKind.TOO_MANY_REDIRECTS


class RebindingDns(WorldDns):
    """A DNS world whose answer for every name alternates: 127.0.0.1, then 10.0.0.1, ..."""

    def __init__(self) -> None:
        super().__init__()
        self.flips = 0

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        (question,) = query.question
        if question.rdtype == dns.rdatatype.A:
            self.answers[question.name.to_text().rstrip(".").lower()] = (
                "127.0.0.1" if self.flips % 2 == 0 else "10.0.0.1"
            )
            self.flips += 1
        return super()._answer(query)


def test_dns_rebinding_cannot_move_the_connection_to_an_internal_address(world_web, settings):
    world_web.page("/", "home")
    outcomes = []
    rebinding = RebindingDns()
    with rebinding:
        settings.HOTLINE_DNS_NAMESERVERS = [f"127.0.0.1:{rebinding.port}"]

        async def many():
            # No DNS cache, and a new name each time: every fetch resolves afresh.
            async with SafeFetcher(allow_loopback=True, dns_cache_seconds=0) as fetcher:
                for n in range(8):
                    try:
                        fetched = await fetcher.fetch(world_web.url("/", host=f"rebind-{n}.test"))
                        outcomes.append(fetched.server_ip)
                    except FetchRefused:
                        outcomes.append("refused")

        asyncio.run(many())
        assert rebinding.flips >= 8

    assert set(outcomes) == {"127.0.0.1", "refused"}


def test_a_name_that_does_not_exist_fails_as_no_such_host(world_dns):
    with pytest.raises(FetchFailed) as failed:
        fetch("http://nowhere.example/", allow_loopback=True)

    assert failed.value.kind == FailureKind.NO_SUCH_HOST


def test_a_body_is_never_read_beyond_the_cap(world_web):
    world_web.raw("/big", b"x" * 100_000, "text/plain")

    async def one():
        async with SafeFetcher() as fetcher:
            return await fetcher.fetch(world_web.url("/big"), max_bytes=1000)

    fetched = asyncio.run(one())
    assert (len(fetched.body), fetched.truncated) == (1000, True)


def test_production_settings_refuse_allow_loopback_from_the_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))}
    env["HOTLINE_SECRET_KEY"] = "x" * 50
    command = [sys.executable, "-c", "import hotline.settings"]

    fine = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    refused = subprocess.run(
        command,
        env={**env, "HOTLINE_FETCH_ALLOW_LOOPBACK": "0"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert fine.returncode == 0, fine.stderr
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "test suite only" in refused.stderr
