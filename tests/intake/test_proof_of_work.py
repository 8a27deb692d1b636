"""The report form's proof of work: a challenge, its solution, and what a report gains by it.

A solved challenge makes the report verified; without one (JavaScript off) or with a wrong,
expired or reused one, the report is filed all the same, unverified. The challenge grows
harder while the portal is flooded, up to a cap a phone still solves in a few seconds.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import altcha
import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hotline.cases.models import Case
from hotline.intake import pow
from hotline.intake.models import Report
from hotline.intake.pow import Verdict, check_solution, max_number, new_challenge
from hotline.portals.models import Portal
from tests.conftest import run_worker, solve


def decoded(payload: str) -> dict[str, Any]:
    return dict(json.loads(base64.b64decode(payload)))


def encoded(data: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_the_challenge_endpoint_answers_json_never_cached_and_sets_no_cookie(
    client: Client, tn: Portal
) -> None:
    response = client.get("/tn/fr/report/challenge", REMOTE_ADDR="203.0.113.40")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    challenge = response.json()
    parameters = challenge["parameters"]
    assert parameters["algorithm"] == "SHA-256" and parameters["cost"] == 1
    assert parameters["data"] == {"portal": "tn"}
    assert 19 * 60 < parameters["expiresAt"] - time.time() <= 20 * 60
    assert len(challenge["signature"]) == 64
    # Each is drawn afresh.
    assert client.get("/tn/fr/report/challenge").json() != challenge


def test_the_challenge_endpoint_is_a_portal_page(client: Client, tn: Portal) -> None:
    assert client.get("/tn/xx/report/challenge").status_code == 404
    assert client.get("/nowhere/fr/report/challenge").status_code == 404
    assert client.post("/tn/fr/report/challenge").status_code == 405


def test_a_solved_challenge_verifies_once(tn: Portal) -> None:
    payload = solve(new_challenge(portal=tn))
    assert check_solution(payload, portal=tn) == Verdict.VERIFIED
    assert check_solution(payload, portal=tn) == Verdict.REPLAYED


def test_no_solution_is_missing_not_an_error(tn: Portal) -> None:
    assert check_solution("", portal=tn) == Verdict.MISSING


def test_an_expired_challenge_does_not_verify(tn: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pow, "LIFETIME", -1)
    payload = solve(new_challenge(portal=tn))
    assert check_solution(payload, portal=tn) == Verdict.EXPIRED


def test_a_wrong_counter_does_not_verify(tn: Portal) -> None:
    data = decoded(solve(new_challenge(portal=tn)))
    data["solution"]["counter"] += 1
    assert check_solution(encoded(data), portal=tn) == Verdict.INVALID


def test_an_easier_challenge_of_ones_own_making_does_not_verify(tn: Portal) -> None:
    # Changing the parameters breaks the signature: the work cannot be made smaller.
    challenge = new_challenge(portal=tn)
    easy = altcha.create_challenge("SHA-256", 1, counter=0, data={"portal": "tn"})
    forged = {"parameters": easy.parameters.to_dict(), "signature": challenge["signature"]}
    assert check_solution(solve(forged), portal=tn) == Verdict.INVALID


def test_another_portals_challenge_does_not_verify(tn: Portal, ma: Portal) -> None:
    payload = solve(new_challenge(portal=ma))
    assert check_solution(payload, portal=tn) == Verdict.INVALID
    assert check_solution(payload, portal=ma) == Verdict.VERIFIED


def test_the_key_is_derived_from_the_secret_key(tn: Portal, settings: Any) -> None:
    payload = solve(new_challenge(portal=tn))
    settings.SECRET_KEY = "another-secret-key-for-another-site-0123456789abcdefghijkl"
    assert check_solution(payload, portal=tn) == Verdict.INVALID


@pytest.mark.parametrize(
    "payload",
    [
        "not base64 at all!",
        "x" * 5000,
        encoded({}),
        encoded({"challenge": [], "solution": 1}),
        encoded({"challenge": {"parameters": "x", "signature": 1}, "solution": {}}),
        base64.b64encode(b"\xff\xfe").decode(),
        base64.b64encode(b"[" * 10000).decode(),
    ],
)
def test_junk_in_the_field_is_invalid_never_an_error(tn: Portal, payload: str) -> None:
    assert check_solution(payload, portal=tn) == Verdict.INVALID


@given(text=st.text(max_size=300))
@hypothesis_settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_in_the_field_is_judged_never_raises(tn: Portal, text: str) -> None:
    assert check_solution(text, portal=tn) in (Verdict.INVALID, Verdict.MISSING)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_difficulty_rises_in_steps_with_the_portals_submissions_and_stops_at_a_cap(
    tn: Portal, ma: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(1_800_000_000.0)  # the start of a minute
    monkeypatch.setattr(time, "time", clock)
    seen = []
    for total in (0, 29, 30, 119, 120, 499, 500, 5000):
        while pow.submissions_per_minute(tn) < total:
            pow.count_submission(tn)
        seen.append(max_number(tn))
    assert seen == [10_000, 10_000, 25_000, 25_000, 50_000, 50_000, 100_000, 100_000]
    assert max_number(ma) == pow.BASE_MAX_NUMBER  # another portal is not affected
    clock.now += 60  # the next minute remembers the last one's flood...
    assert max_number(tn) == 100_000
    clock.now += 60  # ...and the one after has forgotten it
    assert max_number(tn) == pow.BASE_MAX_NUMBER


def test_the_difficulty_is_the_work_the_challenge_asks(
    tn: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pow, "max_number", lambda portal: 300)

    def work() -> int:
        solution = altcha.solve_challenge(altcha.Challenge.from_dict(new_challenge(portal=tn)))
        assert solution is not None
        return solution.counter

    counters = [work() for _ in range(30)]
    assert max(counters) <= 300 and len(set(counters)) > 10


def test_every_form_submission_counts_towards_the_difficulty(client: Client, tn: Portal) -> None:
    for n in range(3):
        client.post("/tn/en/report/", {"urls": "not an address"}, REMOTE_ADDR=f"192.0.2.{n}")
    assert pow.submissions_per_minute(tn) == 3


def challenge_solved(client: Client, lang: str = "en") -> str:
    return solve(client.get(f"/tn/{lang}/report/challenge").json())


def test_a_report_with_a_solved_challenge_is_verified(client: Client, tn: Portal) -> None:
    response = client.post(
        "/tn/en/report/", {"urls": "http://proof.example/a", "altcha": challenge_solved(client)}
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.verified is True
    run_worker()  # its address reaches its case, marked verified
    assert Case.objects.get().has_verified_report is True


def test_a_report_without_javascript_is_filed_unverified(client: Client, tn: Portal) -> None:
    response = client.post("/tn/en/report/", {"urls": "http://nojs.example/a"})
    assert response.status_code == 302  # never an error to a person
    assert Report.objects.get().verified is False
    run_worker()
    assert Case.objects.get().has_verified_report is False


@pytest.mark.parametrize("problem", ["wrong", "expired", "replayed"])
def test_a_bad_solution_still_files_the_report_unverified(
    client: Client, tn: Portal, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    if problem == "expired":
        monkeypatch.setattr(pow, "LIFETIME", -1)
    payload = challenge_solved(client)
    if problem == "wrong":
        data = decoded(payload)
        data["solution"]["derivedKey"] = "00" * 32
        payload = encoded(data)
    if problem == "replayed":
        first = client.post("/tn/en/report/", {"urls": "http://first.example/", "altcha": payload})
        assert first.status_code == 302
    response = client.post("/tn/en/report/", {"urls": "http://bad.example/", "altcha": payload})
    assert response.status_code == 302
    report = Report.objects.get(items__canonical_url="http://bad.example/")
    assert report.verified is False


def test_the_form_page_loads_the_script_and_says_where_the_challenge_is(
    client: Client, tn: Portal
) -> None:
    page = client.get("/tn/ar/report/").content.decode()
    assert 'src="/static/hotline/pow/pow.js"' in page
    assert 'data-pow-challenge="/tn/ar/report/challenge"' in page
    assert 'data-pow-field="altcha"' in page and 'id="pow-status"' in page
    # Only the report form carries it.
    assert "pow.js" not in client.get("/tn/ar/").content.decode()
    assert "pow.js" not in client.get("/tn/ar/status/").content.decode()
