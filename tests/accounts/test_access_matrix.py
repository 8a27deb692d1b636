"""Who may open what: every URL under /staff/, /admin/ and /api/, requested as every kind of
caller, against one table.

The URLs come from the URL resolver, so a page added without a line here fails
`test_every_url_is_in_the_matrix`, with the line to add. Every request runs in a transaction
that is rolled back, so a POST in one row (claiming a case, signing out) does not change the
next.

How to read a cell (what that caller gets):
  SEES  works, and shows the case (its address, or its line in the queue), directly or on the
        page it leads to: only for the analysts of the case's portal
  SEES400  refused as incomplete (400) on the case's own page, which shows the case: only
        for the analysts of the case's portal
  200   works, with that status (any number), and shows nothing of the case
  NO    refused: 401/403/404/405, or sent to the sign-in page (which may then say 403),
        and nothing of the case anywhere on the way
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from hotline.accounts.actions import grant_portal_roles
from hotline.accounts.models import Role, StaffUser
from hotline.assessment.actions import claim_case, record_assessment, set_qa_policy
from hotline.assessment.models import Appeal, Appellant, PortalScheme, SchemeOutcome
from hotline.assessment.schemes import scheme_for
from hotline.audit.actions import SYSTEM
from hotline.cases.models import Case
from hotline.core.tasks import clear_expired_sessions
from hotline.hashlist.actions import NewHash, add_hashes, publish_hash_list
from hotline.hashlist.models import HashListEntry, HashSource
from hotline.intake.actions import file_report
from hotline.members.actions import record_download
from hotline.portals.models import Portal
from hotline.takedown.actions import create_notice, start_takedown
from hotline.takedown.models import RecipientKind
from hotline.takedown.routing import Route
from hotline.urllist.actions import add_to_url_list, publish_url_list
from tests.conftest import Analyst, MemberKey, make_analyst, run_worker, sign_in

SEES = "SEES"
SEES400 = "SEES400"
NO = "NO"
Cell = int | str

# The callers, in the order of the table's columns.
CALLERS = ("anonymous", "other_analyst", "viewer", "member", "analyst", "administrator")

SECRET_URL = "http://matrix-secret.example/only-for-tunisias-analysts"
SECRET_DESCRIPTION = "matrix secret description"
OTHER_URL = "http://matrix-assessed.example/"


@dataclass(frozen=True)
class Row:
    route: str  # as the resolver spells it (see route_key for the admin's two regex routes)
    method: str
    cells: tuple[Cell, ...]  # one per caller, in CALLERS order

    def __post_init__(self) -> None:
        assert len(self.cells) == len(CALLERS), f"{self.route}: one cell per caller"


def row(route: str, method: str, *cells: Cell) -> Row:
    return Row(route, method, cells)


# Staff pages and the API. Add a line for every new URL: who may use it, and what they get.
#                                                        anon  other  viewer member analyst admin
PAGES = [
    row("staff/login/", "GET",                           200,  200,   200,   200,   200,    200),
    row("staff/logout/", "POST",                         302,  302,   302,   302,   302,    302),
    # A partner's page is the figures: the queue sends them there.
    row("staff/", "GET",                                 NO,   200,   302,   NO,    SEES,   200),
    row("staff/cases/<int:case_id>/", "GET",             NO,   NO,    NO,    NO,    SEES,   NO),
    row("staff/cases/<int:case_id>/claim/", "POST",      NO,   NO,    NO,    NO,    SEES,   NO),
    row("staff/cases/<int:case_id>/release/", "POST",    NO,   NO,    NO,    NO,    SEES,   NO),
    row("staff/cases/<int:case_id>/lease/", "POST",      NO,   NO,    NO,    NO,    409,    NO),
    row("staff/next/", "POST",                           NO,   302,   302,   NO,    SEES,   302),
    # Without a language chosen: a 400 that says so.
    row("staff/language/", "POST",                       NO,   400,   400,   NO,    400,    400),
    row("staff/welfare/", "GET",                         NO,   200,   200,   NO,    200,    200),
    row("staff/welfare/heartbeat/", "POST",              NO,   400,   400,   NO,    400,    400),
    row("staff/welfare/reminder/dismiss/", "POST",       NO,   302,   302,   NO,    302,    302),
    row("staff/welfare/analysts/<int:analyst_id>/lift-limit/", "POST",
                                                         NO,   NO,    NO,    NO,    NO,     302),
    # Quality assurance. The analyst here is no senior analyst: the figures and the seniors'
    # queue are refused (403); an empty QA form on the case page is a 400 that says what is
    # missing, on the case's own page.
    row("staff/qa/", "GET",                              NO,   NO,    NO,    NO,    NO,     200),
    row("staff/qa/second/", "GET",                       NO,   200,   200,   NO,    200,    200),
    row("staff/qa/senior/", "GET",                       NO,   NO,    NO,    NO,    NO,     NO),
    row("staff/cases/<int:case_id>/second/", "POST",     NO,   NO,    NO,    NO,    SEES400, NO),
    row("staff/cases/<int:case_id>/decide/", "POST",     NO,   NO,    NO,    NO,    SEES400, NO),
    row("staff/cases/<int:case_id>/appeal/", "POST",     NO,   NO,    NO,    NO,    SEES400, NO),
    row("staff/cases/<int:case_id>/appeal/decide/", "POST",
                                                         NO,   NO,    NO,    NO,    SEES400, NO),
    row("staff/cases/<int:case_id>/correct/", "POST",    NO,   NO,    NO,    NO,    SEES400, NO),
    row("staff/cases/<int:case_id>/domain/", "POST",     NO,   NO,    NO,    NO,    SEES400, NO),
    # Notice and takedown: the board lists the notices of the caller's portals (none for the
    # others); a notice (of another case than the secret one) only for its portal's analysts.
    # Acknowledging a notice not yet sent is refused with a message on its page; routing by
    # hand with an empty form is a 400 that says what is missing.
    row("staff/takedown/", "GET",                        NO,   200,   200,   NO,    200,    200),
    row("staff/takedown/notices/<int:notice_id>/", "GET", NO,  NO,    NO,    NO,    200,    NO),
    row("staff/takedown/notices/<int:notice_id>/acknowledge/", "POST",
                                                         NO,   NO,    NO,    NO,    302,    NO),
    row("staff/takedown/notices/<int:notice_id>/route/", "POST",
                                                         NO,   NO,    NO,    NO,    400,    NO),
    # The hash list's page: senior analysts and administrators of any portal (here the
    # administrator; tests/assessment/test_hashlist_page.py has the seniors); analysts and
    # partner viewers are refused (403). An empty upload, paste, removal, correction or
    # re-activation is a 400 that says what is missing.
    row("staff/hashlist/", "GET",                        NO,   NO,    NO,    NO,    NO,     200),
    row("staff/hashlist/add/", "GET",                    NO,   NO,    NO,    NO,    NO,     200),
    row("staff/hashlist/add/upload/", "POST",            NO,   NO,    NO,    NO,    NO,     400),
    row("staff/hashlist/add/paste/", "POST",             NO,   NO,    NO,    NO,    NO,     400),
    row("staff/hashlist/entries/<int:entry_id>/", "GET", NO,   NO,    NO,    NO,    NO,     200),
    row("staff/hashlist/entries/<int:entry_id>/remove/", "POST",
                                                         NO,   NO,    NO,    NO,    NO,     400),
    row("staff/hashlist/entries/<int:entry_id>/category/", "POST",
                                                         NO,   NO,    NO,    NO,    NO,     400),
    row("staff/hashlist/entries/<int:entry_id>/reactivate/", "POST",
                                                         NO,   NO,    NO,    NO,    NO,     400),
    # Partner figures: partner viewers their portals' (the viewer here is Tunisia's),
    # administrators every portal's and the network view; counts only, never the case.
    row("staff/figures/", "GET",                         NO,   NO,    200,   NO,    NO,     200),
    row("staff/figures/network/", "GET",                 NO,   NO,    NO,    NO,    NO,     200),
    # A PDF report of this year's figures of the world's portal (Tunisia's).
    row("staff/figures/reports/<slug:portal_code>/<str:period>.pdf", "GET",
                                                         NO,   NO,    200,   NO,    NO,     200),
    # Captured images from the evidence store: off here, so none exists for anyone.
    row("staff/previews/case-<int:case_id>/<int:image_id>.png", "GET",
                                                         NO,   NO,    NO,    NO,    NO,     NO),
    row("api/v1/openapi.json", "GET",                    200,  200,   200,   200,   200,    200),
    row("api/v1/docs", "GET",                            200,  200,   200,   200,   200,    200),
    row("api/v1/urllist", "GET",                         NO,   NO,    NO,    200,   NO,     NO),
    row("api/v1/urllist/manifest", "GET",                NO,   NO,    NO,    200,   NO,     NO),
    # The lookup (match:read or urllist:read; the member here holds urllist:read): without
    # ?url= a 400 that says what to send.
    row("api/v1/urllist/check", "GET",                   NO,   NO,    NO,    400,   NO,     NO),
    # Anyone may check a signature: the public key is public.
    row("api/v1/urllist/public-key", "GET",              200,  200,   200,   200,   200,    200),
    # The hash list: member keys with hashlist:read only. The member here holds urllist:read
    # alone, so it is refused (403) like everyone else: no partner, analyst or URL list
    # licensee sees a hash. tests/hashlist/test_feed.py downloads it with the licence.
    row("api/v1/hashlist", "GET",                        NO,   NO,    NO,    NO,    NO,     NO),
    row("api/v1/hashlist/manifest", "GET",               NO,   NO,    NO,    NO,    NO,     NO),
    row("api/v1/hashlist/public-key", "GET",             200,  200,   200,   200,   200,    200),
    # The match API: member keys with match:read only (tests/hashlist/test_match_api.py).
    row("api/v1/hashes/match", "POST",                   NO,   NO,    NO,    NO,    NO,     NO),
    row("api/v1/hashes/match/status", "GET",             NO,   NO,    NO,    NO,    NO,     NO),
    # Partner reports need a reports:write key; the member here has urllist:read only.
    row("api/v1/reports", "POST",                        NO,   NO,    NO,    NO,    NO,     NO),
    # The API has no index page.
    row("api/v1/", "GET",                                NO,   NO,    NO,    NO,    NO,     NO),
]  # fmt: skip

# The admin: only administrators (superusers, signed in with MFA) get in; every other caller
# gets NO on every admin URL. What an administrator gets, by GET:
ADMIN_PAGES = {
    "admin/": 200,
    "admin/login/": 302,  # already signed in: on to the admin
    "admin/logout/": 405,  # POST only
    "admin/password_change/": 200,
    "admin/password_change/done/": 200,
    "admin/autocomplete/": 403,  # no admin field uses autocomplete
    "admin/jsi18n/": 200,
    # "View on site": no model in the admin has a page of its own on the site.
    "admin/r/<path:content_type_id>/<path:object_id>/": 404,
    "admin/<app_label>/": 200,
    "admin/<anything else>": 404,
    "admin/accounts/staffuser/<id>/password/": 200,
    # Authenticator keys are never shown, not even to administrators.
    "admin/otp_totp/totpdevice/<int:pk>/config/": 403,
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/": 403,
    # "Publish now" on the URL list's snapshots: POST only.
    "admin/urllist/urllistsnapshot/publish/": 405,
}
# Each model in the admin has the same six URLs; what an administrator gets on each (the
# object's own URL only redirects to its change page, so it is always 302).
#                                        list  add  change history delete
ADMIN_MODELS = {
    "auth.group":                        (200, 200, 200,   200,    200),
    "django_tasks_database.dbtaskresult": (200, 403, 200,  200,    403),
    "audit.auditevent":                  (200, 403, 200,   200,    403),  # append-only
    "portals.portal":                    (200, 200, 200,   200,    403),
    "portals.partner":                   (200, 200, 200,   200,    200),
    "accounts.staffuser":                (200, 200, 200,   200,    200),
    "otp_totp.totpdevice":               (200, 403, 200,   200,    200),
    "members.member":                    (200, 200, 200,   200,    403),  # suspended, never deleted
    "members.apikey":                    (200, 200, 200,   200,    403),  # issued, revoked
    "members.feeddownload":              (200, 403, 200,   200,    403),  # read-only
    "assessment.assessment":             (200, 403, 200,   200,    403),  # read-only
    "assessment.classificationscheme":   (200, 200, 200,   200,    200),
    "assessment.portalscheme":           (200, 200, 200,   200,    200),
    "assessment.qapolicy":               (200, 200, 200,   200,    200),
    "assessment.qareview":               (200, 403, 200,   200,    403),  # read-only
    "assessment.appeal":                 (200, 403, 200,   200,    403),  # read-only
    "urllist.urllistentry":              (200, 403, 200,   200,    403),  # read-only
    "urllist.urllistchange":             (200, 403, 200,   200,    403),  # read-only
    "urllist.urllistsnapshot":           (200, 403, 200,   200,    403),  # read-only
    "hashlist.hashlistentry":            (200, 403, 200,   200,    403),  # read-only
    "hashlist.hashlistchange":           (200, 403, 200,   200,    403),  # read-only
    "hashlist.hashlistsnapshot":         (200, 403, 200,   200,    403),  # read-only
}  # fmt: skip
MODEL_VIEWS = ("", "add/", "<path:object_id>/change/", "<path:object_id>/history/",
               "<path:object_id>/delete/")  # fmt: skip


def admin_rows() -> Iterator[Row]:
    """The admin's part of the matrix, as rows: an administrator as above, everyone else NO."""

    def admin_row(route: str, status: int) -> Row:
        return Row(route, "GET", (NO,) * (len(CALLERS) - 1) + (status,))

    for route, status in ADMIN_PAGES.items():
        yield admin_row(route, status)
    for label, statuses in ADMIN_MODELS.items():
        base = "admin/" + label.replace(".", "/") + "/"
        for view, status in zip(MODEL_VIEWS, statuses, strict=True):
            yield admin_row(base + view, status)
        yield admin_row(base + "<path:object_id>/", 302)


def matrix() -> list[Row]:
    return [*PAGES, *admin_rows()]


def route_key(route: str) -> str:
    """The table's name for a resolver route (the admin's two regex routes name every app)."""
    if "(?P<app_label>" in route:
        return "admin/<app_label>/"
    if route == "admin/(?P<url>.*)$":
        return "admin/<anything else>"
    return route


def resolver_routes() -> list[str]:
    """Every route under /staff/, /admin/ and /api/, as the URL resolver has them."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    return [
        route_key(r)
        for r in walk(get_resolver().url_patterns, "")
        if r.startswith(("staff/", "admin/", "api/"))
    ]


def test_every_url_is_in_the_matrix(db: None) -> None:
    known = {r.route for r in matrix()}
    routes = set(resolver_routes())
    missing = sorted(routes - known)
    assert not missing, (
        "These URLs have no line in the access matrix (tests/accounts/test_access_matrix.py). "
        "Add one each, saying what every caller gets (PAGES for /staff/ and /api/, "
        "ADMIN_MODELS or ADMIN_PAGES for /admin/):\n  " + "\n  ".join(missing)
    )
    stale = sorted(known - routes)
    assert not stale, "These lines of the access matrix match no URL any more:\n  " + "\n  ".join(
        stale
    )


@dataclass
class World:
    case: Case
    clients: dict[str, Client]
    portal: Portal
    analyst_id: int
    notice_id: int

    def traces(self) -> list[str]:
        """What of the case may show on a page: its address, its report, its queue line."""
        return [SECRET_URL, SECRET_DESCRIPTION, f'data-case="{self.case.pk}"']

    def url(self, route: str) -> str:
        """A real address for `route`: the case, or an object of the admin model it names."""
        path = "/" + route
        path = path.replace("<int:case_id>", str(self.case.pk))
        # The analyst of the world (a senior may lift their exposure limit for the day).
        path = path.replace("<int:analyst_id>", str(self.analyst_id))
        path = path.replace("<int:notice_id>", str(self.notice_id))
        path = path.replace("<int:image_id>", "1")
        path = path.replace("<slug:portal_code>", self.portal.code)
        path = path.replace("<str:period>", str(datetime.now(UTC).year))
        if "<int:entry_id>" in path:
            entry = HashListEntry.objects.order_by("pk").first()
            assert entry is not None, "the world needs one hash list entry"
            path = path.replace("<int:entry_id>", str(entry.pk))
        if "<path:content_type_id>" in path:
            from django.contrib.contenttypes.models import ContentType

            portal_type = ContentType.objects.get_for_model(Portal)
            return f"/admin/r/{portal_type.pk}/{self.portal.pk}/"
        if path == "/admin/<app_label>/":
            return "/admin/accounts/"
        if path == "/admin/<anything else>":
            return "/admin/no-such-page/"
        if "<" in path:
            pk = str(self._object_pk(route))
            path = re.sub(r"<(?:path|int):(?:object_id|pk)>|<id>", pk, path)
        return path

    def _object_pk(self, route: str) -> Any:
        for model in admin.site._registry:
            opts = model._meta
            if route.startswith(f"admin/{opts.app_label}/{opts.model_name}/"):
                obj = model._default_manager.order_by("pk").first()
                assert obj is not None, f"the world needs one {opts.label} for {route}"
                return obj.pk
        raise AssertionError(f"no admin model for {route}")


@pytest.fixture
def world(tn: Portal, ma: Portal, isp: MemberKey) -> World:
    file_report(
        portal=tn,
        language="fr",
        urls=[(SECRET_URL, SECRET_URL)],
        description=SECRET_DESCRIPTION,
    )
    run_worker()
    case = Case.objects.get(canonical_url=SECRET_URL)
    # One object of every model in the admin, for its object pages.
    clear_expired_sessions.enqueue()
    Group.objects.create(name="reviewers")

    analyst = make_analyst("alice", ["tn"])
    other = make_analyst("bob", ["ma"])
    viewer = make_analyst("vera", [])
    grant_portal_roles(user=viewer.user, portal_codes=["tn"], role=Role.PARTNER_VIEWER)
    administrator = make_analyst("ada", [])
    grant_portal_roles(user=administrator.user, portal_codes=["tn"], role=Role.ADMINISTRATOR)
    StaffUser.objects.filter(pk=administrator.user.pk).update(is_staff=True, is_superuser=True)

    # An assessment (of another case) waiting for its second, a portal's scheme and QA policy,
    # and an appeal, for their admin pages.
    file_report(portal=tn, language="fr", urls=[(OTHER_URL, OTHER_URL)])
    run_worker()
    assessed = Case.objects.get(canonical_url=OTHER_URL)
    set_qa_policy(portal=tn, first_assessments=1, sample_percent=0, actor=SYSTEM)
    claim_case(case=assessed, analyst=analyst.user)
    record_assessment(
        case=assessed,
        analyst=analyst.user,
        outcome=SchemeOutcome.objects.get(scheme__is_default=True, code="not_criminal"),
    )
    PortalScheme.objects.create(portal=ma, scheme=scheme_for(ma))
    Appeal.objects.create(case=assessed, appellant=Appellant.HOST, recorded_by=administrator.user)
    record_download(key=isp.key, feed="urllist", feed_format="json", version=1)
    # A takedown of the other case, with a notice waiting to be routed by hand.
    notice = create_notice(
        takedown=start_takedown(case=assessed, actor=SYSTEM),
        route=Route(kind=RecipientKind.MANUAL, name="", email="", language="en", because="?"),
        actor=SYSTEM,
    )
    # A URL list entry, its change and a published snapshot; the same of the hash list.
    add_to_url_list(url="http://listed.example/", category="B", case_id=None, actor=SYSTEM)
    publish_url_list(actor=SYSTEM)
    add_hashes(
        entries=[NewHash(signal_type="md5", value="0" * 32, category="B")],
        source=HashSource.SENIOR_PASTE,
        actor=SYSTEM,
    )
    publish_hash_list(actor=SYSTEM)

    def signed_in(who: Analyst) -> Client:
        client = Client()
        sign_in(client, who)
        return client

    clients = {
        "anonymous": Client(),
        "other_analyst": signed_in(other),
        "viewer": signed_in(viewer),
        "member": Client(headers=isp.header),
        "analyst": signed_in(analyst),
        "administrator": signed_in(administrator),
    }
    return World(
        case=case, clients=clients, portal=tn, analyst_id=analyst.user.pk, notice_id=notice.pk
    )


@dataclass
class Answer:
    first: HttpResponse  # the answer to the request itself
    last: HttpResponse  # where its redirects (within the site) led
    last_path: str
    seen: str  # every body on the way


def body(response: HttpResponseBase) -> str:
    """The response's text, read from its stream if it is streamed (the URL list feeds)."""
    if isinstance(response, StreamingHttpResponse):
        return response.getvalue().decode(errors="replace")
    assert isinstance(response, HttpResponse)
    return response.content.decode(errors="replace")


def request(client: Client, method: str, url: str) -> Answer:
    """One request, following redirects within the site; then rolled back.

    The client's cookies are put back too, so that signing out in one row does not sign the
    caller out of the next.
    """
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        first = last = getattr(client, method.lower())(url)
        path, seen = url, body(first)
        for _ in range(5):
            if last.status_code not in (301, 302) or not last["Location"].startswith("/"):
                break
            path = last["Location"]
            last = client.get(path)
            seen += body(last)
        transaction.set_rollback(True)
    client.cookies = cookies
    return Answer(first, last, path.partition("?")[0], seen)


def refused(answer: Answer) -> bool:
    if answer.last.status_code in (401, 403, 404, 405):
        return True
    return answer.last.status_code == 200 and answer.last_path == "/staff/login/"


def check(world: World, entry: Row, caller: str, expected: Cell) -> str | None:
    """What is wrong with what `caller` got from `entry`, or None."""
    answer = request(world.clients[caller], entry.method, world.url(entry.route))
    shown = [trace for trace in world.traces() if trace in answer.seen]
    got = str(answer.first.status_code)
    if answer.last is not answer.first:
        got += f" -> {answer.last_path} {answer.last.status_code}"
    if expected == SEES:
        if answer.last.status_code != 200 or not shown:
            return f"{got}, showing {shown}; expected it to work and show the case"
        return None
    if expected == SEES400:
        if answer.last.status_code != 400 or not shown:
            return f"{got}, showing {shown}; expected a 400 on the case's page"
        return None
    if shown:
        return f"{got} SHOWS THE CASE ({shown}); expected {expected} without it"
    if expected == NO:
        return None if refused(answer) else f"{got}; expected to be refused"
    if answer.first.status_code != expected:
        return f"{got}; expected {expected}"
    return None


def test_every_caller_gets_what_the_matrix_says(world: World) -> None:
    wrong = []
    for entry in matrix():
        for caller, expected in zip(CALLERS, entry.cells, strict=True):
            problem = check(world, entry, caller, expected)
            if problem:
                wrong.append(f"{entry.method} {entry.route} as {caller}: {problem}")
    assert not wrong, "Not as the access matrix says:\n  " + "\n  ".join(wrong)


# A check that the checks can fail: the analyst's own case page is not "refused", and a page
# that shows the case to someone not meant to see it is caught.
def test_the_matrix_checks_catch_a_leak(world: World) -> None:
    leaky = row("staff/cases/<int:case_id>/", "GET", NO, NO, NO, NO, NO, NO)
    assert check(world, leaky, "analyst", NO) is not None
    assert "SHOWS THE CASE" in str(check(world, leaky, "analyst", NO))
