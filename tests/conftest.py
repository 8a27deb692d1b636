"""Shared actors for the whole suite, in the manner of healthchecks' BaseTestCase.

The portals come from the same launch files `hotline loaddemo` uses; "alice" is an analyst on
Tunisia with a TOTP device, "bob" an analyst on Morocco only, "isp" a member with a feed key.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import altcha
import hypothesis
import pytest
from django.core.cache import cache
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread
from django.utils import timezone
from django.utils.module_loading import import_string
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.plugin import blocking_manager_key

from hotline.accounts.actions import add_totp_device, create_staff_user, grant_portal_roles
from hotline.accounts.models import Role, StaffUser
from hotline.audit.models import ChainHead
from hotline.cases.actions import move_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import OutcomeKind
from hotline.core.periodic import CONTINUOUS_JOBS
from hotline.hashlist.live import forget_index
from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import ApiKey, MemberKind, Scope
from hotline.outcomes.actions import settle_case
from hotline.outcomes.decide import Result, Source
from hotline.portals.actions import launch_portal
from hotline.portals.models import Portal
from hotline.portals.resolver import forget_portals
from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec
from hotline.urllist.lookup import reset_index

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication

# The test world's servers that many test modules use, as fixtures (tests/world/), and the
# turns that keep tests marked `alone` from sharing the cores (tests/turns.py).
pytest_plugins = ["tests.world.smtp", "tests.turns"]

PASSWORD = "correct horse battery staple"

# Tests check behaviour; speed is measured in bench/. Hypothesis's default deadline (200 ms an
# example) would fail a test whose example ran while the other test processes had the cores.
hypothesis.settings.register_profile("hotline", deadline=None)
hypothesis.settings.load_profile("hotline")


class _LiveServer(ThreadedWSGIServer):
    """pytest-django's live server, answering one request at a time on in-memory SQLite.

    There the server's request threads share the test's one database connection, and two
    requests at once (a staff page and its welfare heartbeat) would use it together, which
    sqlite3 answers with "bad parameter or other API misuse" and a session read as empty (the
    analyst finds themself signed out). The lock is per request, not per connection, so a
    browser's idle keep-alive connection holds nothing. Other databases stay concurrent.
    """

    def __init__(
        self, *args: Any, connections_override: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, connections_override=connections_override, **kwargs)
        self.one_at_a_time = threading.Lock() if connections_override else None

    def set_app(self, application: WSGIApplication | None) -> None:
        lock = self.one_at_a_time
        if lock is None or application is None:
            super().set_app(application)
            return

        def serialised(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            with lock:
                response = application(environ, start_response)
                try:
                    return [b"".join(response)]  # a streamed body reads the database too
                finally:
                    close = getattr(response, "close", None)
                    if close is not None:
                        close()

        super().set_app(serialised)


LiveServerThread.server_class = _LiveServer


@dataclass
class Analyst:
    user: StaffUser
    device: TOTPDevice

    def code(self) -> str:
        return f"{totp(self.device.bin_key, step=self.device.step, digits=self.device.digits):06d}"


@dataclass
class MemberKey:
    key: ApiKey
    plaintext: str

    @property
    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.plaintext}"}


def run_worker() -> None:
    """Do what `hotline worker` does every second: one round of each continuous job.

    Tests call this where a person would wait a second for the worker (a report's items reach
    their cases after the report commits; the audit events are sealed)."""
    for job in CONTINUOUS_JOBS:
        import_string(job.run_once)()


def resolve(case: Case, category: str | None, actor: str = "system") -> Case:
    """Give `case` an analyst's result through outcomes, as the workstation would: criminal in
    `category`, or not criminal when `category` is None (the list changes accordingly)."""
    case = move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor=actor, reason="claimed")
    kind = OutcomeKind.CRIMINAL if category else OutcomeKind.NOT_CRIMINAL
    settle_case(
        case=case,
        result=Result(kind=kind, category=category or ""),
        source=Source.ASSESSMENT,
        actor=actor,
    )
    case.refresh_from_db()
    return case


def solve(challenge: dict[str, Any]) -> str:
    """What the report form's script sends for `challenge`: it and its solution, base64 JSON."""
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    assert solution is not None
    return altcha.Payload(parsed, solution).to_base64()


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    # Rate-limit counters live in the cache: each test starts with none. Portals read in an
    # earlier test (whose rows were rolled back) must not be served from memory either.
    cache.clear()
    forget_portals()
    # Nor the URL list lookup's index of a list whose rows (and versions) were rolled back.
    reset_index()
    # Nor the PDQ index of a hash list whose versions were rolled back (its file included).
    forget_index(delete_file=True)


_COMMITTED = pytest.StashKey[bool]()


def commits(item: pytest.Item) -> bool:
    """Whether a test's writes are committed, so pytest-django empties every table after it."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    result = yield
    item.stash[_COMMITTED] = commits(item)  # reached only when the database was set up
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    # After a test that commits, pytest-django empties the tables, the rows that `migrate`
    # writes included: the audit chain's head goes back, so that the tests after it, in
    # whatever order (xdist sends whole files to each process), find the database as migrated.
    result = yield
    # After the last test, pytest-django has torn down the test database and the settings name
    # the real one again: nothing is written there.
    if item.stash.get(_COMMITTED, False) and nextitem is not None:
        with item.config.stash[blocking_manager_key].unblock():
            ChainHead.objects.get_or_create(pk=1)
    return result


@pytest.fixture
def tn(db: None) -> Portal:
    return launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "tn.toml")).portal


@pytest.fixture
def ma(db: None) -> Portal:
    return launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "ma.toml")).portal


def make_analyst(username: str, portals: list[str]) -> Analyst:
    user = create_staff_user(username=username, password=PASSWORD)
    grant_portal_roles(user=user, portal_codes=portals, role=Role.ANALYST)
    return Analyst(user=user, device=add_totp_device(user=user))


@pytest.fixture
def alice(tn: Portal) -> Analyst:
    return make_analyst("alice", ["tn"])


@pytest.fixture
def bob(ma: Portal) -> Analyst:
    return make_analyst("bob", ["ma"])


def sign_in(client: Client, analyst: Analyst) -> None:
    response = client.post(
        "/staff/login/",
        {"username": analyst.user.username, "password": PASSWORD, "otp_token": analyst.code()},
    )
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def alice_client(client: Client, alice: Analyst) -> Client:
    sign_in(client, alice)
    return client


@pytest.fixture
def isp(db: None) -> MemberKey:
    member = create_member(name="Example ISP", kind=MemberKind.ISP, country="TN")
    key, plaintext = issue_api_key(member=member, scopes=[Scope.URLLIST_READ])
    return MemberKey(key, plaintext)


# Fixtures through which a test reaches the database that pytest-django manages.
_DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
    }
)


def uses_the_database(item: pytest.Item) -> bool:
    """Whether a test's outcome can depend on which database the suite runs on.

    Through pytest-django (its marker or fixtures), or on its own (`@pytest.mark.database`:
    a test that hands HOTLINE_DATABASE_URL to a server it starts).
    """
    if item.get_closest_marker("django_db") or item.get_closest_marker("database"):
        return True
    return bool(set(getattr(item, "fixturenames", ())) & _DATABASE_FIXTURES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # CI runs the suite twice, on SQLite and then on PostgreSQL (.ci/run). The second pass sets
    # HOTLINE_TESTS_DATABASE_ONLY=1: a test that never touches the database would only repeat
    # the first pass's run of the very same code.
    if os.environ.get("HOTLINE_TESTS_DATABASE_ONLY") != "1":
        return
    kept = [item for item in items if uses_the_database(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if not uses_the_database(i)])
        items[:] = kept


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # The PDQ index file of this test process (tests/settings.py) goes with it.
    from django.conf import settings

    if settings.configured:
        import shutil

        shutil.rmtree(settings.HOTLINE_HASHLIST_INDEX_PATH.parent, ignore_errors=True)


@pytest.fixture
def daytime(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Django's clock moved to 12:00 UTC today, still running: a test that counts an hour or
    two back from "now" as today stays within one day at whatever hour the suite runs (run
    just after midnight, "65 minutes ago" was yesterday)."""
    real_now = timezone.now
    started = real_now()
    noon = started.replace(hour=12, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: noon + (real_now() - started))
    return noon
