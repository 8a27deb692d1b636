"""The domain list as a DNS Response Policy Zone loads in real resolvers: BIND's
`named-checkzone` accepts it, and Debian's Unbound serving it on a loopback port answers a
listed domain (and every name under it) NXDOMAIN while an unlisted one resolves, through the
test world's DNS server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest
from django.test import Client

from hotline.audit.actions import SYSTEM
from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import MemberKind, Scope
from hotline.urllist.actions import add_domain_to_url_list, add_to_url_list, publish_url_list
from hotline.urllist.rpz import render_rpz, zone_origin
from tests.conftest import MemberKey
from tests.urllist.world import download
from tests.world.dns import WorldDns

LISTED = ["abuse-site.test", "xn--bcher-kva.test"]  # the second is bücher.test


def zone(tmp_path: Path, domains: list[str], version: int = 7) -> Path:
    path = tmp_path / "urllist.rpz"
    path.write_bytes(b"".join(render_rpz(domains, version=version)))
    return path


def test_the_zone_has_two_policy_records_per_domain_and_the_version_as_serial(
    tmp_path: Path,
) -> None:
    text = zone(tmp_path, LISTED, version=42).read_text()
    assert f"$ORIGIN {zone_origin()}" in text
    assert "SOA localhost. hostmaster.invalid. (42 " in text
    assert "abuse-site.test CNAME .\n*.abuse-site.test CNAME .\n" in text


def test_a_name_that_could_change_the_zone_is_left_out(tmp_path: Path) -> None:
    path = zone(tmp_path, ["ok.test", "evil.test\n@ NS attacker.", "-bad.test", "a b.test"])
    text = path.read_text()
    assert "ok.test CNAME ." in text
    assert "evil" not in text and "attacker" not in text and "bad.test" not in text


@pytest.mark.skipif(not shutil.which("named-checkzone"), reason="Debian's bind9-utils")
def test_bind_accepts_the_zone(tmp_path: Path) -> None:
    checked = subprocess.run(
        ["named-checkzone", zone_origin(), str(zone(tmp_path, LISTED))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK" in checked.stdout


def free_port() -> int:
    """A loopback port free for UDP and for TCP both (Unbound listens on both): a port only
    probed for UDP was once taken for TCP by another test's connection."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


@pytest.fixture
def unbound(tmp_path: Path) -> Iterator[tuple[int, WorldDns]]:
    """Unbound on a loopback port with the zone as its response policy; names under .test
    resolved through the test world's DNS server. Yields Unbound's port and that server."""
    binary = shutil.which("unbound") or "/usr/sbin/unbound"
    if not Path(binary).exists():
        pytest.skip("Debian's unbound")
    with WorldDns() as world:
        # Another process may still take the port between the probe and Unbound's bind: then
        # Unbound exits at once, and it is started again on another port.
        for _attempt in range(3):
            port = free_port()
            server = subprocess.Popen([binary, "-d", "-c", str(_config(tmp_path, port, world))])
            if _answers(server, port):
                break
            server.wait(timeout=10)
        else:
            log = tmp_path / "unbound.log"
            pytest.fail("Unbound did not start: " + (log.read_text() if log.exists() else ""))
        try:
            yield port, world
        finally:
            server.terminate()
            server.wait(timeout=10)


def _answers(server: subprocess.Popen[bytes], port: int) -> bool:
    """Whether Unbound answers within 10 s (False at once if it exited)."""
    for _ in range(100):
        if server.poll() is not None:
            return False
        try:
            ask(port, "ready.test")
            return True
        except (dns.exception.Timeout, OSError):
            time.sleep(0.1)
    return False


def _config(tmp_path: Path, port: int, world: WorldDns) -> Path:
    config = tmp_path / "unbound.conf"
    config.write_text(
        f"""server:
    interface: 127.0.0.1
    port: {port}
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{tmp_path}"
    pidfile: "{tmp_path}/unbound.pid"
    use-syslog: no
    logfile: "{tmp_path}/unbound.log"
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    qname-minimisation: no
    module-config: "respip iterator"
    # Unbound answers .test itself (RFC 6761) unless told not to.
    local-zone: "test." nodefault
stub-zone:
    name: "test."
    stub-addr: 127.0.0.1@{world.port}
rpz:
    name: "{zone_origin()}"
    zonefile: "{zone(tmp_path, LISTED)}"
"""
    )
    return config


def ask(port: int, name: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=1)


def test_unbound_answers_listed_domains_nxdomain_and_resolves_the_rest(
    unbound: tuple[int, WorldDns],
) -> None:
    port, world = unbound
    for name in ("abuse-site.test", "www.abuse-site.test", "a.b.xn--bcher-kva.test"):
        assert ask(port, name).rcode() == dns.rcode.NXDOMAIN, name
    answer = ask(port, "unlisted.test")
    assert answer.rcode() == dns.rcode.NOERROR
    assert [rrset.to_text() for rrset in answer.answer] == ["unlisted.test. 60 IN A 127.0.0.1"]
    # A name that merely ends like a listed one is not under it.
    assert ask(port, "not-abuse-site.test").rcode() == dns.rcode.NOERROR
    # The policy answered the listed names itself; the unlisted ones were asked of the world.
    assert world.asked["unlisted.test"] and world.asked["not-abuse-site.test"]
    assert not world.asked["abuse-site.test"] and not world.asked["www.abuse-site.test"]


def test_the_feed_serves_the_published_domain_entries_as_a_zone_bind_accepts(
    client: Client, db: None, tmp_path: Path
) -> None:
    member = create_member(name="Resolver Co", kind=MemberKind.ISP)
    key = MemberKey(*issue_api_key(member=member, scopes=[Scope.DOMAINLIST_READ]))
    add_domain_to_url_list(domain="Abuse-Site.TEST", category="A", case_id=1, actor=SYSTEM)
    add_to_url_list(url="http://one-page.test/x", category="B", case_id=2, actor=SYSTEM)
    publish_url_list(actor=SYSTEM)
    feed = download(client, key, format="rpz")
    assert feed.status == 200
    text = feed.body.decode()
    assert "abuse-site.test CNAME ." in text and "*.abuse-site.test CNAME ." in text
    assert "one-page" not in text  # a URL entry cannot be blocked by DNS
    assert "SOA localhost. hostmaster.invalid. (2 " in text  # serial: the list version
    assert download(client, key, format="rpz", since="1").status == 400
    if shutil.which("named-checkzone"):
        path = tmp_path / "feed.rpz"
        path.write_bytes(feed.body)
        checked = subprocess.run(
            ["named-checkzone", zone_origin(), str(path)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
