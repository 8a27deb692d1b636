"""Whatever a person (or a bot) types into the form, the answer is a receipt or a clear 400."""

from __future__ import annotations

from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.cases.models import Case
from hotline.intake.models import Report
from hotline.portals.models import Portal

url_like = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda scheme, host, path: f"{scheme}{host}{path}",
        st.sampled_from(["http://", "https://", "HTTP://", "javascript:", "", "ftp://", "//"]),
        st.text(alphabet="abcxyz.-_0123456789[]:@%", max_size=30),
        st.text(max_size=40),
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(url_like, max_size=8))
def test_any_input_gets_a_receipt_or_a_clear_refusal(
    client: Client, tn: Portal, lines: list[str]
) -> None:
    cache.clear()  # a hundred and fifty examples: not a flood from one client
    reports_before, cases_before = Report.objects.count(), Case.objects.count()
    response = client.post("/tn/en/report/", {"urls": "\n".join(lines)})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert "Your report was not sent yet" in response.content.decode()
        assert (Report.objects.count(), Case.objects.count()) == (reports_before, cases_before)
    else:
        assert Report.objects.count() == reports_before + 1
