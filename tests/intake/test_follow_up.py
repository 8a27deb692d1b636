"""What a reporter may tell us, and how they follow a report up without ever being identified."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hotline.cases.models import Case
from hotline.intake.models import Report, ReportItem
from hotline.intake.receipts import normalise
from hotline.portals.models import Portal
from tests.conftest import resolve, run_worker


def report(client: Client, **fields: object) -> str:
    response = client.post("/tn/en/report/", {"urls": "http://one.example/a", **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get("/tn/en/report/thanks/").content.decode()


def codes(page: str) -> tuple[str, str]:
    reference = re.search(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}", page)
    receipt = re.search(r'data-testid="receipt-code"><bdi dir="ltr">([0-9A-Z-]{19})<', page)
    assert reference is not None and receipt is not None, page
    return reference.group(0), receipt.group(1)


def check(client: Client, reference: str, receipt: str) -> tuple[int, str]:
    response = client.post("/tn/en/status/", {"reference": reference, "receipt": receipt})
    return response.status_code, response.content.decode()


def test_the_form_records_what_was_seen_and_where(client: Client, tn: Portal) -> None:
    report(client, content_seen=["images", "videos"], found_on="social")
    filed = Report.objects.get()
    assert filed.content_seen == ["images", "videos"] and filed.found_on == "social"
    assert filed.receipt_hash == ""


def test_an_onion_address_is_accepted_and_flagged(client: Client, tn: Portal) -> None:
    onion = "http://" + "a" * 56 + ".onion/gallery"
    client.post("/tn/en/report/", {"urls": f"{onion}\nhttp://plain.example/"})
    flags = dict(ReportItem.objects.values_list("canonical_url", "is_onion"))
    assert flags == {onion: True, "http://plain.example/": False}


def test_up_to_twenty_addresses_at_a_time(client: Client, tn: Portal) -> None:
    twenty = "\n".join(f"site{n}.example/x" for n in range(20))
    assert client.post("/tn/en/report/", {"urls": twenty}).status_code == 302
    response = client.post("/tn/en/report/", {"urls": twenty + "\nsite20.example/x"})
    assert response.status_code == 400
    assert "You entered 21 addresses; report at most 20 at a time." in response.content.decode()


def test_a_receipt_code_is_shown_once_and_kept_only_as_a_slow_hash(
    client: Client, tn: Portal
) -> None:
    page = report(client, follow_up="receipt")
    _, receipt = codes(page)
    stored = Report.objects.get().receipt_hash
    assert stored.startswith("argon2") and receipt not in stored
    assert normalise(receipt).replace("-", "") not in stored
    again = client.get("/tn/en/report/thanks/")
    assert again.status_code == 302  # shown once: the cookie that brought it is gone


def test_without_a_receipt_code_the_thanks_page_does_not_promise_a_status_check(
    client: Client, tn: Portal
) -> None:
    page = report(client, follow_up="none")
    assert 'data-testid="receipt-code"' not in page
    assert "it names your report if you contact us about it" in page
    assert "also needs a receipt code, which the form offers when you report" in page
    # In the reporter's language, too.
    client.post("/tn/fr/report/", {"urls": "http://two.example/a", "follow_up": "none"})
    page = client.get("/tn/fr/report/thanks/").content.decode()
    assert "il faut aussi un code de reçu" in page


def test_the_status_follows_the_cases_of_the_report(client: Client, tn: Portal) -> None:
    reference, receipt = codes(report(client, follow_up="receipt"))
    status, page = check(client, reference, receipt)
    assert status == 200 and "Received: it is waiting to be assessed." in page
    run_worker()  # the report's address reaches its case, in the analysts' queue
    assert "Being assessed by the analysts." in check(client, reference, receipt)[1]
    case = Case.objects.get()
    resolve(case, None)
    assert "Assessed: no action was needed." in check(client, reference, receipt)[1]
    # Typed from a phone: lower case, no dashes, O for 0 and I for 1.
    sloppy = receipt.lower().replace("-", "").replace("0", "o").replace("1", "i")
    assert check(client, reference.lower(), sloppy)[0] == 200


def test_action_taken_when_any_address_was_confirmed(client: Client, tn: Portal) -> None:
    page = report(client, follow_up="receipt", urls="http://one.example/a\nhttp://two.example/b")
    reference, receipt = codes(page)
    run_worker()
    first, second = Case.objects.order_by("pk")
    resolve(first, "B")
    assert "Being assessed" in check(client, reference, receipt)[1]  # one still waits
    resolve(second, None)
    assert "action has been taken" in check(client, reference, receipt)[1]


@pytest.mark.parametrize("case", ["wrong code", "unknown reference", "filed without a code"])
def test_one_answer_for_every_way_a_check_can_fail(client: Client, tn: Portal, case: str) -> None:
    reference, receipt = codes(report(client, follow_up="receipt"))
    if case == "wrong code":
        receipt = "AAAA-BBBB-CCCC-DDDD"
    elif case == "unknown reference":
        reference = "TN-0000-0000"
    else:
        page = report(client)
        reference = re.findall(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}", page)[0]
    status, page = check(client, reference, receipt)
    assert status == 400
    assert "No report matches this reference number and receipt code." in page
    assert "Being assessed" not in page


def test_the_status_page_asks_for_both_codes(client: Client, tn: Portal) -> None:
    page = client.get("/tn/en/status/").content.decode()
    assert 'name="reference"' in page and 'name="receipt"' in page
    status, page = check(client, "", "")
    assert status == 400 and "This field is required." in page


def test_an_expired_form_comes_back_with_what_was_typed(tn: Portal) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/tn/en/report/")
    typed = "http://typed.example/keep-me\nhttp://second.example/"
    response = client.post(
        "/tn/en/report/",
        {"urls": typed, "description": "found it in a forum", "found_on": "website"},
    )
    page = response.content.decode()
    assert response.status_code == 403
    assert "was not sent yet. What you typed is below" in page
    assert "http://typed.example/keep-me" in page and "found it in a forum" in page
    assert 'value="website" checked' in page or ('value="website"' in page and "checked" in page)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    sent = client.post("/tn/en/report/", {"urls": typed, "csrfmiddlewaretoken": token.group(1)})
    assert sent.status_code == 302 and Report.objects.count() == 1
