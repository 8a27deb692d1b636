"""The public figures page (`/<portal>/<lang>/figures/`): a portal's counts per month since its
launch, in the page's language, with every count under the threshold (0 included) hidden, so
that no single report can be read from it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.dates import format_skeleton
from django.test import Client, override_settings

from hotline.accounts.actions import grant_portal_roles
from hotline.accounts.models import Role
from hotline.intake.actions import file_report
from hotline.portals.actions import launch_portal
from hotline.portals.models import Portal
from hotline.portals.resolver import forget_portals
from hotline.portals.spec import parse_portal_spec
from hotline.stats import rollup
from hotline.stats.figures import since_launch
from hotline.stats.models import DailyFigure
from hotline.stats.public import Total, published, published_total
from hotline.takedown.actions import record_recheck
from hotline.takedown.models import Takedown
from hotline.takedown.recheck import Verdict
from tests.assessment.qa_world import assess, report
from tests.conftest import Analyst, run_worker, sign_in
from tests.portals.test_launch import MINIMAL

pytestmark = pytest.mark.django_db

FEWER_THAN_5 = {"en": "fewer than 5", "fr": "moins de 5", "ar": "أقل من 5"}
SO_FAR = {"en": "(so far)", "fr": "(à ce jour)", "ar": "(حتى الآن)"}


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


def file_reports(portal: Portal, count: int) -> None:
    for n in range(count):
        file_report(
            portal=portal, language="fr", urls=[(f"http://r{n}.example/", f"http://r{n}.example/")]
        )
    run_worker()


def launched_months_ago(portal: Portal, months: int) -> date:
    """Move `portal`'s launch to the first day of the month `months` before this one."""
    day = datetime.now(UTC).date().replace(day=1)
    for _ in range(months):
        day = (day - timedelta(days=1)).replace(day=1)
    Portal.objects.filter(pk=portal.pk).update(
        launched_at=datetime.combine(day, time(), tzinfo=UTC)
    )
    forget_portals()
    return day


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_counts_under_the_threshold_read_fewer_than_5_in_the_pages_language(
    client: Client, tn: Portal, lang: str
) -> None:
    file_reports(tn, 2)
    header, month, total = table(client, f"/tn/{lang}/figures/")
    assert len(header) == 4
    assert month[1:] == [FEWER_THAN_5[lang]] * 3  # 2 reports, 0 confirmed, 0 removed
    assert total[1:] == [FEWER_THAN_5[lang]] * 3
    assert month[0].endswith(SO_FAR[lang])  # this month is not over


def test_counts_at_or_above_the_threshold_are_shown(client: Client, tn: Portal) -> None:
    file_reports(tn, 5)
    _header, month, total = table(client, "/tn/en/figures/")
    assert month[1:] == ["5", "fewer than 5", "fewer than 5"]
    assert total[1:] == ["5", "fewer than 5", "fewer than 5"]


def test_the_threshold_comes_from_the_setting(client: Client, tn: Portal, alice: Analyst) -> None:
    assess(report(tn, "http://one.example/"), alice, "B")
    assess(report(tn, "http://two.example/"), alice, "C")
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
    this_month = datetime.now(UTC).date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)

    _header, *months, total = table(client, "/tn/fr/figures/")

    names = [format_skeleton("yMMMM", m, locale="fr") for m in (this_month, last_month, launched)]
    assert [row[0] for row in months] == [f"{names[0]} (à ce jour)", names[1], names[2]]
    # A month without any figure is shown, hidden like any small count.
    assert [row[1] for row in months] == ["moins de 5", "moins de 5", "8"]
    # 8 in all, but "8" would give away that the two hidden months hold none between them.
    assert total == ["Depuis le lancement", "8 ou plus", "moins de 5", "moins de 5"]


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
    html = main_of(staff.get("/zy/fr/figures/").content.decode())
    assert "Ce portail n’a pas encore été lancé" in html and "<table" not in html


def test_a_report_leaves_no_trace_on_the_page(client: Client, tn: Portal, alice: Analyst) -> None:
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
