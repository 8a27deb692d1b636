"""The public figures page (`/<portal>/<lang>/figures/`): a portal's counts per month since its
launch, in the page's language, with every count under the threshold (0 included) hidden, and
only for months that have ended, so that no single report can be read from it."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.dates import format_date, format_skeleton
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation

from hotline.accounts.actions import grant_portal_roles
from hotline.accounts.models import Role
from hotline.intake.actions import file_report
from hotline.intake.models import Report
from hotline.portals.actions import launch_portal
from hotline.portals.models import Portal
from hotline.portals.resolver import forget_portals
from hotline.portals.spec import parse_portal_spec
from hotline.stats import rollup
from hotline.stats.figures import since_launch
from hotline.stats.models import DailyFigure
from hotline.stats.public import Total, public_figures, published, published_total
from hotline.stats.public_views import seconds_to_midnight
from hotline.takedown.actions import record_recheck
from hotline.takedown.models import Takedown
from hotline.takedown.recheck import Verdict
from tests.assessment.qa_world import assess
from tests.conftest import Analyst, run_worker, sign_in
from tests.portals.test_launch import MINIMAL

pytestmark = pytest.mark.django_db

FEWER_THAN_5 = {"en": "fewer than 5", "fr": "moins de 5", "ar": "أقل من 5"}
SINCE_LAUNCH = {
    "en": "Since launch, to the end of {}",
    "fr": "Depuis le lancement, jusqu’à la fin de {}",
    "ar": "منذ الإطلاق حتى نهاية {}",
}


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def table(client: Client, path: str) -> list[list[str]]:
    """The figures table's rows, header row first, each as its cells' texts."""
    response = client.get(path)
    assert response.status_code == 200, path
    html = main_of(response.content.decode())
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S)
    ]


def body_of(html: str) -> str:
    return html[html.index("<body") : html.index("</body>")]


def today() -> date:
    return datetime.now(UTC).date()


def file_reports(portal: Portal, count: int, *, on: date | None = None) -> None:
    """File `count` reports on `portal`: today, or as if filed at noon (UTC) on the day `on`
    (their filing time moved back, and the portal's figures rebuilt from the reports)."""
    filed = [
        file_report(
            portal=portal, language="fr", urls=[(f"http://r{n}.example/", f"http://r{n}.example/")]
        ).report.pk
        for n in range(count)
    ]
    run_worker()
    if on is not None:
        Report.objects.filter(pk__in=filed).update(
            received_at=datetime.combine(on, time(12), tzinfo=UTC)
        )
        call_command("stats", "rebuild", "--portal", portal.code, stdout=io.StringIO())


def launched_months_ago(portal: Portal, months: int) -> date:
    """Move `portal`'s launch to the first day of the month `months` before this one."""
    day = datetime.now(UTC).date().replace(day=1)
    for _ in range(months):
        day = (day - timedelta(days=1)).replace(day=1)
    Portal.objects.filter(pk=portal.pk).update(
        launched_at=datetime.combine(day, time(), tzinfo=UTC)
    )
    forget_portals()
    portal.refresh_from_db()
    return day


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_counts_under_the_threshold_read_fewer_than_5_in_the_pages_language(
    client: Client, tn: Portal, lang: str
) -> None:
    last_month = launched_months_ago(tn, 1)
    file_reports(tn, 2, on=last_month + timedelta(days=9))
    header, month, total = table(client, f"/tn/{lang}/figures/")
    assert len(header) == 4
    name = format_skeleton("yMMMM", last_month, locale=lang)
    assert month == [name] + [FEWER_THAN_5[lang]] * 3  # 2 reports, 0 confirmed, 0 removed
    assert total == [SINCE_LAUNCH[lang].format(name)] + [FEWER_THAN_5[lang]] * 3


def test_counts_at_or_above_the_threshold_are_shown(client: Client, tn: Portal) -> None:
    file_reports(tn, 5, on=launched_months_ago(tn, 1))
    _header, month, total = table(client, "/tn/en/figures/")
    assert month[1:] == ["5", "fewer than 5", "fewer than 5"]
    assert total[1:] == ["5", "fewer than 5", "fewer than 5"]


def test_the_threshold_comes_from_the_setting(client: Client, tn: Portal) -> None:
    last_month = launched_months_ago(tn, 1)
    for metric, key in [(rollup.REPORTS, ""), (rollup.RESULT, "criminal")]:
        DailyFigure.objects.create(portal=tn, day=last_month, metric=metric, key=key, count=2)
    with override_settings(HOTLINE_PUBLIC_FIGURES_THRESHOLD=2):
        _header, month, _total = table(client, "/tn/en/figures/")
        assert month[1:] == ["2", "2", "fewer than 2"]
        page = client.get("/tn/fr/figures/").content.decode()
        assert "tout nombre inférieur à 2 est affiché « moins de 2 »" in page
    with override_settings(HOTLINE_PUBLIC_FIGURES_THRESHOLD=3):
        _header, month, _total = table(client, "/tn/en/figures/")
        assert month[1:] == ["fewer than 3"] * 3


def test_every_month_since_launch_is_shown_newest_first_with_localised_names(
    client: Client, tn: Portal
) -> None:
    launched = launched_months_ago(tn, 2)
    for day, count in [(launched, 7), (launched + timedelta(days=3), 1)]:
        DailyFigure.objects.create(portal=tn, day=day, metric=rollup.REPORTS, key="", count=count)
    # This month's reports are counted, but not published before the month ends.
    DailyFigure.objects.create(portal=tn, day=today(), metric=rollup.REPORTS, key="", count=50)
    last_month = (today().replace(day=1) - timedelta(days=1)).replace(day=1)

    _header, *months, total = table(client, "/tn/fr/figures/")

    names = [format_skeleton("yMMMM", m, locale="fr") for m in (last_month, launched)]
    assert [row[0] for row in months] == names  # the month under way is not listed
    # A month without any figure is shown, hidden like any small count.
    assert [row[1] for row in months] == ["moins de 5", "8"]
    # 8 in all, but "8" would give away that the hidden month holds none.
    assert total == [
        f"Depuis le lancement, jusqu’à la fin de {names[0]}",
        "8 ou plus",
        "moins de 5",
        "moins de 5",
    ]


def test_a_report_filed_this_month_shows_only_once_the_month_has_ended(
    client: Client, tn: Portal
) -> None:
    last_month = launched_months_ago(tn, 1)
    file_reports(tn, 6, on=last_month + timedelta(days=2))
    # This month is past the threshold already: counted live, the next report would show.
    DailyFigure.objects.create(portal=tn, day=today(), metric=rollup.REPORTS, key="", count=7)
    before = {lang: client.get(f"/tn/{lang}/figures/").content.decode() for lang in tn.languages}
    assert table(client, "/tn/en/figures/")[1][1] == "6"

    file_reports(tn, 1)
    assert since_launch(tn).reports == 6 + 7 + 1  # counted, not published

    for lang in tn.languages:
        after = client.get(f"/tn/{lang}/figures/").content.decode()
        assert body_of(after) == body_of(before[lang]), lang  # byte for byte
    # When the month has ended, it is published whole.
    next_month = (today().replace(day=1) + timedelta(days=31)).replace(day=1)
    with translation.override("en"):
        page = public_figures(portal=tn, language="en", threshold=5, today=next_month)
    assert [(row.label, row.cells[0]) for row in page.months] == [
        (format_skeleton("yMMMM", today(), locale="en"), "8"),
        (format_skeleton("yMMMM", last_month, locale="en"), "6"),
    ]
    assert page.total is not None and page.total.cells[0] == "14"


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_a_portal_launched_this_month_says_when_its_first_figures_appear(
    client: Client, tn: Portal, lang: str
) -> None:
    file_reports(tn, 5)  # launched today: this month is the first, and under way
    html = main_of(client.get(f"/tn/{lang}/figures/").content.decode())
    assert "<table" not in html
    month = format_skeleton("yMMMM", today(), locale=lang)
    first = (today().replace(day=1) + timedelta(days=31)).replace(day=1)
    day = format_date(first, format="long", locale=lang)
    expected = {
        "en": f"The figures of {month} will be published here when the month ends, on {day}.",
        "fr": f"Les chiffres de {month} seront publiés ici à la fin du mois, le {day}.",
        "ar": f"ستُنشر أرقام {month} هنا عند انتهاء الشهر، في {day}.",
    }
    assert expected[lang] in html


def test_the_page_may_be_kept_until_the_next_utc_midnight(client: Client, tn: Portal) -> None:
    launched_months_ago(tn, 3)
    response = client.get("/tn/fr/figures/")
    parts = [d.strip().partition("=") for d in response["Cache-Control"].split(",")]
    directives = {name: value for name, _, value in parts}
    assert set(directives) == {"public", "max-age"}
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)
    assert 0 <= int(directives["max-age"]) - (midnight - now).total_seconds() <= 5
    # The same for everyone: no cookie set, none asked for, and the page's CSP kept.
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    # Other portal pages still vary on the cookie (a draft's staff may see them).
    assert "Cookie" in client.get("/tn/fr/")["Vary"]


def test_the_page_is_kept_at_most_a_day() -> None:
    assert seconds_to_midnight(datetime(2026, 3, 5, tzinfo=UTC)) == 86_400
    assert seconds_to_midnight(datetime(2026, 3, 5, 23, 0, tzinfo=UTC)) == 3_600
    assert seconds_to_midnight(datetime(2026, 3, 5, 23, 59, 59, 500_000, tzinfo=UTC)) == 1
    assert seconds_to_midnight(datetime(2026, 12, 31, 12, tzinfo=UTC)) == 43_200


def test_a_total_is_exact_only_when_no_month_of_it_is_hidden() -> None:
    assert published(0, 5) is None and published(4, 5) is None and published(5, 5) == 5
    assert published_total([6, 9], 5) == Total(exact=15)
    assert published_total([6, 9, 0], 5) == Total(at_least=15)  # 15 would reveal the 0
    assert published_total([6, 9, 3], 5) == Total(at_least=15)  # 18 would reveal the 3
    assert published_total([3, 3], 5) == Total(at_least=5)  # no month shown: only "5 or more"
    assert published_total([1, 3], 5) == Total()  # fewer than 5


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/zz/en/figures/", "Page not found"),  # no such portal
        ("/tn/es/figures/", "Page introuvable"),  # a language Tunisia does not offer
        ("/tn/xx/figures/", "Page introuvable"),  # no such language
    ],
)
def test_an_unknown_portal_or_language_is_the_public_404(
    client: Client, tn: Portal, path: str, title: str
) -> None:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in html and "<table" not in html


def test_a_portal_not_launched_yet_shows_what_to_expect(client: Client, alice: Analyst) -> None:
    # Live, with a launch day still to come.
    launch_portal(
        parse_portal_spec(MINIMAL.replace("[portal]\n", "[portal]\nlaunched = 2099-06-15\n"))
    )
    html = main_of(client.get("/zz/en/figures/").content.decode())
    assert "This portal has not been launched yet" in html and "<table" not in html

    # A draft, previewed by its staff: never launched.
    launch_portal(
        parse_portal_spec(
            MINIMAL.replace('code = "zz"', 'code = "zy"').replace(
                'status = "live"', 'status = "draft"'
            )
        )
    )
    assert client.get("/zy/fr/figures/").status_code == 404  # not public
    grant_portal_roles(user=alice.user, portal_codes=["zy"], role=Role.ANALYST)
    staff = Client()
    sign_in(staff, alice)
    preview = staff.get("/zy/fr/figures/")
    html = main_of(preview.content.decode())
    assert "Ce portail n’a pas encore été lancé" in html and "<table" not in html
    # A draft's preview is for its staff: never kept, by a shared cache or the browser.
    assert "no-store" in preview["Cache-Control"] and "public" not in preview["Cache-Control"]
    assert "Cookie" in preview["Vary"]


def test_a_report_leaves_no_trace_on_the_page(client: Client, tn: Portal, alice: Analyst) -> None:
    launched_months_ago(tn, 2)
    before = {
        lang: main_of(client.get(f"/tn/{lang}/figures/").content.decode()) for lang in tn.languages
    }

    url = "http://distinctive-figures-leak.example/secret/page.html"
    description = "Distinctive description zebra-quokka-7731"
    filed = file_report(
        portal=tn, language="en", urls=[(url, url)], description=description, with_receipt=True
    )
    run_worker()
    case = filed.report.items.get().case
    assert case is not None
    assess(case, alice, "A")
    takedown = Takedown.objects.get(case=case)
    record_recheck(takedown=takedown, verdict=Verdict.GONE, reason="404", actor="system")
    counted = since_launch(tn)  # the figures did count it: the page hides it
    assert (counted.reports, counted.confirmed, counted.removed) == (1, 1, 1)

    for lang in tn.languages:
        response = client.get(f"/tn/{lang}/figures/")
        html = response.content.decode()
        for secret in [
            url,
            "distinctive-figures-leak",
            description,
            "zebra-quokka",
            filed.report.reference,
        ]:
            assert secret not in html, (lang, secret)
        assert filed.receipt and filed.receipt not in html
        # One report, confirmed and taken down, changes nothing: not its case id, not a count.
        assert main_of(html) == before[lang], lang
        assert f"/{case.pk}/" not in html
        # Nothing to run, nothing from elsewhere, nothing kept in the browser.
        assert "<script" not in html
        assert all(
            src.startswith("/")
            for src in re.findall(r'(?:src|href)="([^"]*)"', html)
            if not src.startswith(("tel:", "#"))
        ), lang
        assert not response.cookies


def test_the_portal_links_the_page_from_its_footer(client: Client, tn: Portal) -> None:
    for lang, label in [("fr", "Chiffres"), ("ar", "الأرقام"), ("en", "Figures")]:
        html = client.get(f"/tn/{lang}/").content.decode()
        assert f'<a href="/tn/{lang}/figures/">{label}</a>' in html
