"""Forms of the takedown board: its filters, and routing a notice by hand."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.takedown.models import NoticeState
from hotline.takedown.routing import NOTICE_LANGUAGES

BOARD_STATES = [
    ("", _("Every open notice")),
    (NoticeState.TO_SEND, _("To send or to route")),
    (NoticeState.SENT, _("Sent")),
    (NoticeState.ACKNOWLEDGED, _("Acknowledged")),
    (NoticeState.FAILED, _("Failed")),
]


class BoardFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=BOARD_STATES, required=False)
    country = forms.RegexField(
        label=_("Hosting country"),
        regex=r"^[A-Za-z]{2}$",
        required=False,
        max_length=2,
        error_messages={"invalid": _("Give a two-letter country code, such as FR.")},
    )
    provider = forms.CharField(label=_("Provider"), required=False, max_length=100)
    page = forms.IntegerField(min_value=1, required=False)


class RouteByHandForm(forms.Form):
    name = forms.CharField(label=_("Recipient"), max_length=255)
    email = forms.EmailField(label=_("E-mail address"))
    language = forms.ChoiceField(
        label=_("Language of the notice"),
        choices=[(code, code) for code in NOTICE_LANGUAGES],
    )
