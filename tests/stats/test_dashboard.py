"""/staff/figures/: a portal's figures for its partners, as charts and tables and CSV, and
every portal side by side for administrators; never a URL, hash, description, reference or
case id."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.test import Client, override_settings

from hotline.accounts.models import Role
from hotline.portals.models import Partner, PartnerKind, PartnerRole, Partnership, Portal
from tests.assessment.qa_world import signed_in, staff
from tests.conftest import Analyst
from tests.stats.figures_world import make_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tn: Portal, ma: Portal, alice: Analyst) -> list[str]:
    return make_history(tn, ma, alice)


def viewer(portals: list[str]) -> Analyst:
    return staff("vera", portals, Role.PARTNER_VIEWER)


def administrator() -> Analyst:
    return staff("ada", ["tn"], Role.ADMINISTRATOR)


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


def test_a_partner_viewer_sees_their_portals_figures_as_charts_and_tables(
    history: list[str],
) -> None:
    client = signed_in(viewer(["tn"]))

    response = client.get("/staff/figures/")

    assert response.status_code == 200
    page = text(response)
    board = response.context["board"]
    assert board.portal.code == "tn"
    assert (board.selected.reports, board.selected.confirmed, board.selected.not_confirmed) == (
        2,
        1,
        1,
    )
    assert "First week: reports received 2, confirmed 1" in page
    # Charts drawn on the server: inline SVG with a title for screen readers, no script, and
    # its style carries the page's nonce (the CSP allows no other inline style).
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    assert 'role="img" aria-label="Reports, confirmed and removed"' in page
    assert "<script" not in page.split("</header>", 1)[1]
    nonce = response.context["csp_nonce"]
    assert f'<style type="text/css" nonce="{nonce}">' in page
    category = board.table("category")
    assert category.rows == [["B", "Category B", "1"]]
    assert any("URLs assessed" in cell for row in board.table("summary").rows for cell in row)
    for trace in history:
        assert trace not in page


def test_every_table_downloads_as_csv_with_the_same_rows(history: list[str]) -> None:
    client = signed_in(viewer(["tn"]))

    response = client.get("/staff/figures/?period=month&csv=periods")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="figures-tn-month-' in response["Content-Disposition"]
    body = text(response)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(StringIO(body[1:])))
    assert rows[0][:3] == ["Month", "Reports received", "URLs reported"]
    assert sum(int(row[1]) for row in rows[1:]) == 2
    for slug in ("summary", "timing", "category", "results", "age", "sex", "site", "country"):
        answer = client.get(f"/staff/figures/?csv={slug}")
        assert answer.status_code == 200, slug
        for trace in history:
            assert trace not in text(answer)
    unknown = client.get("/staff/figures/?csv=cases")
    assert unknown.status_code == 400
    assert "the tables are: summary, periods, timing, category" in text(unknown)


def test_a_partner_viewer_is_refused_another_portals_figures(history: list[str]) -> None:
    client = signed_in(viewer(["tn"]))

    response = client.get("/staff/figures/?portal=ma")

    assert response.status_code == 400
    assert "Select a valid choice" in text(response)
    assert "board" not in response.context


def test_staff_without_a_figures_role_are_refused_with_a_page_that_says_why(
    alice: Analyst,
) -> None:
    response = signed_in(alice).get("/staff/figures/")

    assert response.status_code == 403
    assert "for partner viewers and administrators" in text(response)
    assert signed_in(alice).get("/staff/figures/network/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(tn: Portal) -> None:
    response = Client().get("/staff/figures/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01", "Enter a valid date."),
        ("start=2026-03-01&end=2026-02-01", "The range ends before it starts"),
        ("period=day&start=2000-01-01&end=2026-01-01", "more than 1100 periods"),
        ("period=year", "Select a valid choice"),
        # The calendar's edges: refused with the days that may be chosen, never a 500.
        ("start=9999-12-31", "Choose days from 2000-01-01 to"),
        ("end=9999-12-31", "Choose days from 2000-01-01 to"),
        ("period=month&start=9999-12-01&end=9999-12-30", "Choose days from 2000-01-01 to"),
        ("period=week&start=0001-01-01&end=0001-01-02", "Choose days from 2000-01-01 to"),
        # Only an end, before the default range's start.
        ("end=2001-01-01", "The range ends before it starts"),
    ],
)
def test_a_range_that_cannot_be_drawn_is_refused_with_what_to_change(
    history: list[str], query: str, message: str
) -> None:
    response = signed_in(viewer(["tn"])).get(f"/staff/figures/?{query}")

    assert response.status_code == 400
    assert message in text(response)


def test_per_day_and_per_week_over_a_chosen_range(history: list[str]) -> None:
    client = signed_in(viewer(["tn"]))
    board = client.get("/staff/figures/?period=week").context["board"]
    assert board.range.period == "week"
    assert sum(f.reports for f in board.periods) == 2

    days = client.get("/staff/figures/?period=day&start=2026-01-01&end=2026-01-31")
    assert days.status_code == 200
    assert len(days.context["board"].periods) == 31
    assert "Nothing to count in this range yet." in text(days)


def test_the_dashboard_speaks_arabic_right_to_left(history: list[str]) -> None:
    analyst = viewer(["tn"])
    analyst.user.language = "ar"
    analyst.user.save(update_fields=["language"])

    page = text(signed_in(analyst).get("/staff/figures/"))

    assert 'dir="rtl"' in page
    assert "الأرقام" in page  # "Figures"


def test_administrators_see_every_portal_side_by_side_filtered_by_funder(
    history: list[str], tn: Portal, ma: Portal
) -> None:
    # The Global Partnership funds Morocco's portal (its launch file says so); here Tunisia's
    # gets a funder of its own.
    funder = Partner.objects.create(name="Tunisian test fund", kind=PartnerKind.FUNDER)
    Partnership.objects.create(portal=tn, partner=funder, role=PartnerRole.FUNDER)
    global_partnership = Partner.objects.get(
        name="Global Partnership to End Violence against Children"
    )
    client = signed_in(administrator())

    everyone = client.get("/staff/figures/network/")
    assert everyone.status_code == 200
    assert [row[0] for row in everyone.context["rows"]] == [
        ma.name_in("en"),
        tn.name_in("en"),
    ]
    funded = client.get(f"/staff/figures/network/?funder={funder.pk}")
    rows = funded.context["rows"]
    assert len(rows) == 1
    assert rows[0][0] == tn.name_in("en")
    assert "Tunisian test fund" in rows[0][2]
    assert rows[0][4:6] == ["2", "1"]  # reports, confirmed
    funded_globally = client.get(f"/staff/figures/network/?funder={global_partnership.pk}")
    assert ma.name_in("en") in [row[0] for row in funded_globally.context["rows"]]
    assert client.get("/staff/figures/network/?funder=999").status_code == 400
    exported = client.get(f"/staff/figures/network/?funder={funder.pk}&csv=1")
    assert "Tunisian test fund" in text(exported)
    # Administrators may open any portal's dashboard.
    assert client.get("/staff/figures/?portal=ma").context["board"].selected.reports == 1
    for trace in history:
        assert trace not in text(everyone)


@override_settings(LANGUAGE_CODE="en")
def test_a_spreadsheet_never_runs_a_cell_as_a_formula() -> None:
    from hotline.stats.views import csv_response

    body = csv_response("x.csv", ["=SUM(A1)"], [["+1", "-2", "@x", "ok"]]).content.decode()

    assert "'=SUM(A1)" in body and "'+1,'-2,'@x,ok" in body


def test_the_demo_has_a_partner_viewer_of_both_demo_portals(db: None) -> None:
    from hotline.accounts.models import StaffUser
    from hotline.demo.loader import DEMO_PARTNER, DEMO_PORTALS, load_demo
    from hotline.stats.access import figures_portals, sees_every_portal

    credentials = load_demo()

    assert credentials is not None and credentials.partner.username == DEMO_PARTNER
    partner = StaffUser.objects.get(username=DEMO_PARTNER)
    assert [p.code for p in figures_portals(partner)] == sorted(DEMO_PORTALS)
    assert not sees_every_portal(partner)


def test_count_charts_mark_whole_numbers_only() -> None:
    from hotline.stats.charts import count_ticks

    assert count_ticks(0) == [0, 1]
    assert count_ticks(2) == [0, 1, 2]
    assert count_ticks(11) == [0, 5, 10, 15]
    assert count_ticks(1234) == [0, 500, 1000, 1500]
