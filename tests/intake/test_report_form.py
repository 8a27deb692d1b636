"""The public report form: what a reporter sees, what gets filed, and what is refused."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import formats, translation

from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.intake.models import Report, ReportItem
from hotline.portals.models import Portal
from tests.conftest import run_worker


def nothing_filed() -> bool:
    return (
        not Report.objects.exists()
        and not ReportItem.objects.exists()
        and not Case.objects.exists()
    )


def test_form_is_in_the_language_of_the_address(client: Client, tn: Portal) -> None:
    french = client.get("/tn/fr/report/").content.decode()
    assert 'lang="fr"' in french and 'dir="ltr"' in french
    assert "Envoyer le signalement" in french
    arabic = client.get("/tn/ar/report/").content.decode()
    assert 'lang="ar"' in arabic and 'dir="rtl"' in arabic
    assert "إرسال البلاغ" in arabic


def test_two_urls_make_one_report_two_items_two_cases(client: Client, tn: Portal) -> None:
    response = client.post(
        "/tn/fr/report/",
        {"urls": "http://one.example/a\r\nhttps://two.example/b\r\n", "description": ""},
    )
    assert response.status_code == 302 and response["Location"] == "/tn/fr/report/thanks/"
    receipt = client.get("/tn/fr/report/thanks/").content.decode()
    reference = re.search(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)
    assert reference is not None
    report = Report.objects.get(reference=reference.group(0))
    assert report.portal == tn and report.language == "fr"
    assert [item.canonical_url for item in report.items.all()] == [
        "http://one.example/a",
        "https://two.example/b",
    ]
    # The report committed alone; its addresses reach their cases when the worker runs.
    assert report.items.filter(case__isnull=True).count() == 2 and not Case.objects.exists()
    run_worker()
    assert Case.objects.count() == 2
    assert AuditEvent.objects.filter(action="intake.report_filed").count() == 1
    assert AuditEvent.objects.filter(action="cases.case_opened").count() == 2


def test_receipt_is_shown_once_and_not_in_the_address(client: Client, tn: Portal) -> None:
    client.post("/tn/en/report/", {"urls": "http://one.example/a"})
    assert client.get("/tn/en/report/thanks/").status_code == 200
    # A reload does not show it again (nor file anything twice).
    assert client.get("/tn/en/report/thanks/").status_code == 302
    assert Report.objects.count() == 1


def test_same_url_twice_in_a_report_is_one_item(client: Client, tn: Portal) -> None:
    client.post("/tn/en/report/", {"urls": "http://one.example/a\nHTTP://ONE.example:80/a#x"})
    assert ReportItem.objects.count() == 1


def test_report_stores_no_reporter_address(client: Client, tn: Portal) -> None:
    client.post("/tn/en/report/", {"urls": "http://one.example/a"}, REMOTE_ADDR="203.0.113.9")
    for event in AuditEvent.objects.all():
        assert "203.0.113.9" not in str(event.data) and "203.0.113.9" not in event.actor
    for report in Report.objects.all():
        assert "203.0.113.9" not in str(report.__dict__)


def test_form_without_csrf_token_is_refused_and_files_nothing(tn: Portal) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/tn/fr/report/", {"urls": "http://one.example/a"})
    page = response.content.decode()
    assert response.status_code == 403
    assert 'lang="fr"' in page and 'name="csrfmiddlewaretoken"' in page  # the form, again
    assert nothing_filed()


def test_other_forms_get_the_plain_expired_page_in_the_portals_language(tn: Portal) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/tn/fr/status/", {"reference": "x", "receipt": "y"})
    assert response.status_code == 403
    assert "Rien n’a été enregistré." in response.content.decode()


def test_form_with_csrf_token_is_accepted(tn: Portal) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/tn/fr/report/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/tn/fr/report/", {"urls": "http://one.example/a", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302


def test_csrf_cookie_ends_with_the_browser_session(tn: Portal) -> None:
    # No long-lived cookie left behind to show that someone used the reporting form.
    response = Client().get("/tn/fr/report/")
    cookie = response.cookies["csrftoken"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("", "Saisissez au moins une adresse web."),
        ("   \n \n", "Saisissez au moins une adresse web."),
        ("\n".join(f"http://site{n}.example/" for n in range(10_000)), "Le texte est trop long"),
        ("\n".join(f"http://s{n}.example/" for n in range(21)), "signalez-en au plus 20"),
        (
            "javascript:alert(document.cookie)",
            'commençant par <bdi dir="ltr">http://</bdi> ou <bdi dir="ltr">https://</bdi>',
        ),
        (
            "http://ok.example/\n" + "http://long.example/" + "a" * 3_000,
            "Ligne 2\u00a0: l’adresse dépasse 2\u00a0048",
        ),
        ("\x00\x01\x02\xff\xfe binary", "Le caractère nul n\u2019est pas autorisé."),
        ("\x01\x02\x7f\x1b[31m", "Ligne 1\u00a0: l’adresse contient des espaces"),
        ("not a url at all", "Ligne 1\u00a0: l’adresse contient des espaces"),
        ("http://nodot/", "Ligne 1\u00a0: ce n’est pas une adresse web"),
    ],
)
def test_bad_input_gets_a_clear_message_and_files_nothing(
    client: Client, tn: Portal, urls: str, message: str
) -> None:
    response = client.post("/tn/fr/report/", {"urls": urls})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Votre signalement n’a pas encore été envoyé" in page
    assert nothing_filed()


def test_many_bad_lines_are_summarised(client: Client, tn: Portal) -> None:
    response = client.post(
        "/tn/en/report/", {"urls": "\n".join(f"bad line {n}" for n in range(20))}
    )
    page = response.content.decode()
    # Five named lines, each in the summary at the top and beside the field.
    assert page.count("Line ") == 2 * 5
    assert "…and 15 more lines are not web addresses." in page


def test_description_too_long_is_refused(client: Client, tn: Portal) -> None:
    response = client.post(
        "/tn/en/report/", {"urls": "http://one.example/", "description": "x" * 2001}
    )
    assert response.status_code == 400
    assert "at most 2000 characters" in response.content.decode()
    assert nothing_filed()


def test_body_over_the_upload_limit_is_a_400_page(client: Client, tn: Portal) -> None:
    response = client.post("/tn/en/report/", {"urls": "x" * 2_700_000})
    assert response.status_code == 400
    assert nothing_filed()


def test_the_receipt_gives_the_date_as_the_language_writes_it(client: Client, tn: Portal) -> None:
    client.post("/tn/fr/report/", {"urls": "http://one.example/a"})
    today = Report.objects.get().received_at.date()
    with translation.override("fr"):
        expected = formats.date_format(today, "DATE_FORMAT")
    assert f"Reçu le {expected}." in client.get("/tn/fr/report/thanks/").content.decode()


def test_one_forms_errors_and_language_never_show_in_the_next(client: Client, tn: Portal) -> None:
    # Every report form shares its field objects (intake.forms.SharedFields): what one form
    # renders (its errors, its language) must not stay on them for the next one.
    refused = client.post("/tn/fr/report/", {"urls": "javascript:alert(1)", "found_on": "x"})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.content.decode()
    fresh = client.get("/tn/en/report/").content.decode()
    assert "aria-invalid" not in fresh and "javascript:" not in fresh
    assert "Web addresses (one per line)" in fresh and "Envoyer le signalement" not in fresh
