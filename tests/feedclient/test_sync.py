"""`hotline-feed sync` against the real site (pytest-django's live_server): the first run takes
the full list and the changes after it, later runs only the changes, 304 when nothing changed;
a body that does not match its signed manifest, or a manifest signed by another key, is
refused and the local copy stays as it was."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.audit.actions import SYSTEM
from hotline.feedclient import cli, transport
from hotline.feedclient.errors import (
    EXIT_KEY,
    EXIT_LOCAL,
    EXIT_NETWORK,
    EXIT_RATE_LIMITED,
    EXIT_REFUSED,
)
from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import FeedDownload, MemberKind, Scope
from hotline.urllist.actions import (
    add_domain_to_url_list,
    add_to_url_list,
    publish_url_list,
    remove_from_url_list,
)

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Member:
    url: str
    tmp: Path
    key_file: Path
    public_key: Path
    state: Path

    def sync(self, *extra: str, key_file: Path | None = None, url: str | None = None) -> Run:
        out, err = io.StringIO(), io.StringIO()
        argv = [
            "sync",
            "--url",
            url or self.url,
            "--key-file",
            str(key_file or self.key_file),
            "--public-key",
            str(self.public_key),
            "--dir",
            str(self.state),
            *extra,
        ]
        code = cli.main(argv, out=out, err=err)
        return Run(code, out.getvalue(), err.getvalue())

    def outputs(self) -> list[str]:
        return [f"{kind}={self.tmp / ('out.' + kind)}" for kind in ("squid", "rpz", "plain")]

    def held(self) -> dict[str, Any]:
        return json.loads((self.state / "state.json").read_text())


def key_file(tmp: Path, scopes: list[Scope], name: str = "key") -> Path:
    member = create_member(name=f"ISP {name}", kind=MemberKind.ISP, country="TN")
    _, plaintext = issue_api_key(member=member, scopes=scopes)
    path = tmp / name
    path.write_text(plaintext + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def member(live_server: Any, tmp_path: Path) -> Member:
    """A member with a URL list key and the public key fetched from the site once; a list of
    two entries (a URL and a whole domain) published at version 2."""
    public_key = tmp_path / "hotline.pem"
    with urllib.request.urlopen(f"{live_server.url}/api/v1/urllist/public-key") as answer:
        public_key.write_bytes(answer.read())
    add_to_url_list(url="http://one.test/a.jpg", category="A", case_id=1, actor=SYSTEM)
    add_domain_to_url_list(domain="abuse-site.test", category="B", case_id=2, actor=SYSTEM)
    publish_url_list(actor=SYSTEM)
    return Member(
        live_server.url,
        tmp_path,
        key_file(tmp_path, [Scope.URLLIST_READ]),
        public_key,
        tmp_path / "state",
    )


def test_the_first_sync_takes_the_published_list_and_the_changes_after_it(
    member: Member,
) -> None:
    add_to_url_list(url="http://two.test/b", category="C", case_id=3, actor=SYSTEM)  # v3
    run = member.sync()
    assert run.code == 0, run.err
    assert run.out == "version 0 -> 3: +3 -0 ~0 (3 entries)\n"
    assert "verified" in run.err
    held = member.held()
    assert held["version"] == 3 and held["url"] == member.url
    assert sorted(held["entries"]) == [
        ["domain", "http://abuse-site.test/", "B", "abuse-site.test"],
        ["url", "http://one.test/a.jpg", "A", ""],
        ["url", "http://two.test/b", "C", ""],
    ]
    assert (member.state / "state.json").stat().st_mode & 0o077 == 0
    # Asked: the full list (version 2), then the changes since 2.
    asked = list(FeedDownload.objects.order_by("pk").values_list("version", "since"))
    assert asked == [(2, None), (3, 2)]


def test_a_later_sync_applies_only_the_changes_and_then_answers_304(member: Member) -> None:
    assert member.sync().code == 0
    add_to_url_list(url="http://one.test/a.jpg", category="C", case_id=1, actor=SYSTEM)  # v3
    remove_from_url_list(url="http://one.test/a.jpg", reason="content removed", actor=SYSTEM)
    add_to_url_list(url="http://three.test/", category="A", case_id=4, actor=SYSTEM)  # v5
    add_to_url_list(url="http://abuse-site.test/x", category="B", case_id=5, actor=SYSTEM)
    add_to_url_list(url="http://abuse-site.test/x", category="A", case_id=5, actor=SYSTEM)
    run = member.sync()
    assert run.code == 0, run.err
    assert run.out == "version 2 -> 7: +2 -1 ~0 (3 entries)\n"
    held = member.held()
    assert sorted(held["entries"]) == [
        ["domain", "http://abuse-site.test/", "B", "abuse-site.test"],
        ["url", "http://abuse-site.test/x", "A", ""],
        ["url", "http://three.test/", "A", ""],
    ]
    assert FeedDownload.objects.order_by("-pk").values_list("since", flat=True)[0] == 2
    # A recategorisation alone is a change too.
    add_domain_to_url_list(domain="abuse-site.test", category="A", case_id=2, actor=SYSTEM)
    run = member.sync()
    assert run.out == "version 7 -> 8: +0 -0 ~1 (3 entries)\n"
    # Nothing new: the hotline answers 304 and nothing is rewritten.
    before = (member.state / "state.json").stat().st_mtime_ns
    run = member.sync()
    assert run.code == 0 and run.out == "version 8: up to date (3 entries)\n"
    last = FeedDownload.objects.order_by("-pk").first()
    assert last is not None and last.not_modified and last.since == 8
    assert (member.state / "state.json").stat().st_mtime_ns == before


def tamper(monkeypatch: pytest.MonkeyPatch, *, when: str) -> None:
    """Flip one byte of the body of the answers whose URL contains `when`, after download."""
    real = transport.get

    def flipping(url: str, **kwargs: Any) -> transport.Response:
        answer = real(url, **kwargs)
        if when in url and answer.body:
            body = bytearray(answer.body)
            body[len(body) // 2] ^= 0x01
            return transport.Response(answer.status, answer.headers, bytes(body))
        return answer

    monkeypatch.setattr(transport, "get", flipping)


@pytest.mark.parametrize("when", ["format=json&since=", "format=json"])
def test_a_body_altered_on_the_way_is_refused_and_the_copy_stays_as_it_was(
    member: Member, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    plain = member.tmp / "out.plain"
    assert member.sync("--write", f"plain={plain}").code == 0
    before = ((member.state / "state.json").read_bytes(), plain.read_bytes())
    add_to_url_list(url="http://two.test/b", category="C", case_id=3, actor=SYSTEM)
    tamper(monkeypatch, when=when)
    run = member.sync("--write", f"plain={plain}", *(["--full"] if "since" not in when else []))
    assert run.code == EXIT_REFUSED
    assert "refused the download, nothing applied" in run.err
    assert "SHA-256" in run.err
    assert ((member.state / "state.json").read_bytes(), plain.read_bytes()) == before
    assert not [p for p in member.state.iterdir() if p.name.endswith(".tmp")]


def test_a_manifest_signed_by_another_key_is_refused(member: Member) -> None:
    other = Ed25519PrivateKey.generate().public_key()
    member.public_key.write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    run = member.sync()
    assert run.code == EXIT_REFUSED
    assert "signature does not verify with the --public-key" in run.err
    assert not (member.state / "state.json").exists()


def test_the_outputs_hold_the_list_in_each_form(member: Member) -> None:
    sha = member.tmp / "out.sha256"
    domains = member.tmp / "out.domains"
    run = member.sync(
        *(x for w in member.outputs() for x in ("--write", w)),
        "--write",
        f"sha256={sha}",
        "--write",
        f"squid-domains={domains}",
        "--rpz-zone",
        "hotline.rpz.example",
    )
    assert run.code == 0, run.err
    plain = (member.tmp / "out.plain").read_text().splitlines()
    assert plain == [
        "# Hotline URL list version 2",
        "http://abuse-site.test/",
        "http://one.test/a.jpg",
    ]
    assert sha.read_text().splitlines()[1:] == sorted(
        hashlib.sha256(u.encode()).hexdigest() for u in plain[1:]
    )
    assert domains.read_text().splitlines()[1:] == [".abuse-site.test"]
    rpz = (member.tmp / "out.rpz").read_text()
    assert "$ORIGIN hotline.rpz.example." in rpz
    assert "abuse-site.test CNAME .\n*.abuse-site.test CNAME .\n" in rpz
    assert "one.test" not in rpz  # a URL entry cannot be blocked by DNS
    if shutil.which("named-checkzone"):
        checked = subprocess.run(
            ["named-checkzone", "hotline.rpz.example.", str(member.tmp / "out.rpz")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    squid = (member.tmp / "out.squid").read_text().splitlines()
    assert squid[1] == r"^http://one\.test/a\.jpg$"


def test_a_wrong_key_and_a_key_without_the_licence_say_so(member: Member) -> None:
    wrong = member.tmp / "wrong"
    wrong.write_text("hk_not_a_key\n")
    wrong.chmod(0o600)
    run = member.sync(key_file=wrong)
    assert run.code == EXIT_KEY and "refused the key (401)" in run.err
    hashed_only = key_file(member.tmp, [Scope.URLLIST_HASHED_READ], name="hashed")
    run = member.sync(key_file=hashed_only)
    assert run.code == EXIT_KEY and "no licence for the URL list (403)" in run.err
    assert "urllist:read" in run.err
    assert not (member.state / "state.json").exists()


def test_a_state_directory_of_another_hotline_is_not_mixed_up(member: Member) -> None:
    assert member.sync().code == 0
    run = member.sync(url=member.url.replace("localhost", "127.0.0.1"))
    assert run.code == EXIT_LOCAL and "use another --dir" in run.err


@pytest.fixture
def busy_server() -> Iterator[str]:
    """A loopback server that answers every request 429 with Retry-After: 120."""

    class Busy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"detail": "Too many requests."}'
            self.send_response(429)
            self.send_header("Retry-After", "120")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_rate_limits_and_network_errors_say_what_to_do(member: Member, busy_server: str) -> None:
    run = member.sync(url=busy_server)
    assert run.code == EXIT_RATE_LIMITED and "try again after 120 seconds" in run.err
    closed = busy_server.rsplit(":", 1)[0] + ":9"  # discard port, nothing listens
    run = member.sync(url=closed)
    assert run.code == EXIT_NETWORK and "could not reach" in run.err
    assert not (member.state / "state.json").exists()
