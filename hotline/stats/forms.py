"""What a dashboard is asked for: a portal, per day, week or month, and a range of days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hotline.portals.models import Portal
from hotline.stats.dashboard import MAX_PERIODS, Range, default_range
from hotline.stats.figures import Period

# The days a dashboard may show: no figure exists before 2000, and none more than a year ahead
# (a bound that also keeps every date sum far from the calendar's end, 9999-12-31).
FIRST_DAY = date(2000, 1, 1)
AHEAD = timedelta(days=366)
# The most days a period holds, to bound a range by the number of periods it draws.
DAYS_IN = {Period.DAY: 1, Period.WEEK: 7, Period.MONTH: 31}
PERIOD_LABELS = {Period.DAY: _("Day"), Period.WEEK: _("Week"), Period.MONTH: _("Month")}


class DashboardForm(forms.Form):
    portal = forms.ChoiceField(label=_("Portal"))
    period = forms.ChoiceField(label=_("Per"), choices=list(PERIOD_LABELS.items()), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args: Any, portals: QuerySet[Portal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.portals = {p.code: p for p in portals}
        field = self.fields["portal"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, code.upper()) for code in self.portals]

    def chosen_portal(self) -> Portal:
        return self.portals[self.cleaned_data["portal"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "portal" not in data:
            return data
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        latest = date.today() + AHEAD
        for day in (start, end):
            if day is not None and not FIRST_DAY <= day <= latest:
                raise forms.ValidationError(
                    _("Choose days from %(first)s to %(last)s.")
                    % {"first": FIRST_DAY.isoformat(), "last": latest.isoformat()}
                )
        period = Period(data.get("period") or Period.MONTH)
        # What was left out comes from the default range.
        default = default_range(self.portals[data["portal"]], period)
        start = start or default.start
        last = end + timedelta(days=1) if end else max(default.end, start + timedelta(days=1))
        if last <= start:
            raise forms.ValidationError(_("The range ends before it starts: swap the two days."))
        self.range = Range(period, start, last)
        most = MAX_PERIODS[period]
        if (last - start).days > most * DAYS_IN[period]:
            raise forms.ValidationError(
                _(
                    "That range holds more than %(most)d periods: choose a longer period or a "
                    "shorter range."
                )
                % {"most": most}
            )
        return data


class NetworkForm(forms.Form):
    funder = forms.ChoiceField(label=_("Funded by"), required=False)

    def __init__(self, *args: Any, funders: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["funder"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any funder")), *funders]
