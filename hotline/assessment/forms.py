from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hotline.assessment.actions import Facts
from hotline.assessment.models import AgeGroup, Appellant, SchemeOutcome, SexShown, SiteType
from hotline.assessment.queries import QueueKey
from hotline.cases.models import CaseStatus
from hotline.core.classification import OutcomeKind


class KeyedRadioSelect(forms.RadioSelect):
    """Radio buttons that carry each outcome's single key (`data-key`) for the keyboard."""

    keys: dict[str, str]

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        key = getattr(self, "keys", {}).get(str(option["value"]), "")
        option["attrs"]["data-key"] = key
        if key:
            # Screen readers announce the shortcut with the choice (staff.js makes it work).
            option["attrs"]["aria-keyshortcuts"] = key
        return option


YES_NO_UNKNOWN = [("", _("Not recorded")), ("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO_UNKNOWN,
        required=False,
        coerce=lambda value: value == "yes",
        empty_value=None,
    )


class AssessmentForm(forms.Form):
    """The assessment of one case: an outcome from the portal's scheme, and the facts."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        widget=KeyedRadioSelect,
        error_messages={"required": _("Choose an outcome.")},
    )
    duplicate_of = forms.IntegerField(
        label=_("Duplicate of case number"), required=False, min_value=1
    )
    interpol_baseline = _yes_no(_("INTERPOL baseline"))
    youngest_age = forms.ChoiceField(
        label=_("Youngest apparent age"),
        choices=[("", _("Not recorded")), *AgeGroup.choices],
        required=False,
    )
    sex_shown = forms.ChoiceField(
        label=_("Sex of children shown"),
        choices=[("", _("Not recorded")), *SexShown.choices],
        required=False,
    )
    image_count = forms.IntegerField(
        label=_("Images"), required=False, min_value=0, max_value=1_000_000
    )
    video_count = forms.IntegerField(
        label=_("Videos"), required=False, min_value=0, max_value=1_000_000
    )
    self_generated = _yes_no(_("Self-generated"))
    site_type = forms.ChoiceField(
        label=_("Site type"), choices=[("", _("Not recorded")), *SiteType.choices], required=False
    )
    commercial = _yes_no(_("Commercial"))
    hosting_country = forms.RegexField(
        label=_("Hosting country (ISO code)"),
        regex=r"^[A-Za-z]{2}$",
        required=False,
        error_messages={"invalid": _("Give the two-letter country code, such as FR or US.")},
    )
    notes = forms.CharField(
        label=_("Notes (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, outcomes: list[SchemeOutcome], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes = {outcome.code: outcome for outcome in outcomes}
        field = self.fields["outcome"]
        assert isinstance(field, forms.ChoiceField)
        # Labels of the default scheme are translated; a hotline's own read as written.
        field.choices = [(o.code, f"{gettext(o.label)} [{o.key}]") for o in outcomes]
        assert isinstance(field.widget, KeyedRadioSelect)
        field.widget.keys = {o.code: o.key for o in outcomes}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome = self.outcomes.get(data.get("outcome", ""))
        if outcome is not None and outcome.kind == "duplicate" and not data.get("duplicate_of"):
            self.add_error("duplicate_of", gettext("Give the number of the case this duplicates."))
        return data

    @property
    def keyed_outcomes(self) -> list[SchemeOutcome]:
        """The scheme's outcomes in order, for the page's list of keys."""
        return list(self.outcomes.values())

    def chosen_outcome(self) -> SchemeOutcome:
        return self.outcomes[self.cleaned_data["outcome"]]

    def facts(self) -> Facts:
        data = self.cleaned_data
        return Facts(
            interpol_baseline=data["interpol_baseline"],
            youngest_age=data["youngest_age"],
            sex_shown=data["sex_shown"],
            image_count=data["image_count"],
            video_count=data["video_count"],
            self_generated=data["self_generated"],
            site_type=data["site_type"],
            commercial=data["commercial"],
            hosting_country=data["hosting_country"].upper(),
        )


# Age bands of the queue filter: the time since a case was opened, between two bounds.
AGE_BANDS: dict[str, tuple[Any, timedelta | None, timedelta | None]] = {
    "hour": (_("Under an hour"), None, timedelta(hours=1)),
    "day": (_("1 to 24 hours"), timedelta(hours=1), timedelta(days=1)),
    "week": (_("1 to 7 days"), timedelta(days=1), timedelta(days=7)),
    "older": (_("Over 7 days"), timedelta(days=7), None),
}
STATUS_CHOICES = [
    (CaseStatus.NEW.value, _("Waiting")),
    (CaseStatus.IN_ASSESSMENT.value, _("In assessment")),
]
MAX_SEARCH_LENGTH = 2048
# Case numbers are 64-bit: a larger one in a page address is refused, not sent to the database.
MAX_CASE_NUMBER = 2**63 - 1


class QueueFilterForm(forms.Form):
    """The queue's filters and search, from the page's query string (every field optional).

    Invalid input is refused with the reason (the view answers 400), never guessed at."""

    portal = forms.ChoiceField(label=_("Portal"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    age = forms.ChoiceField(
        label=_("Waiting for"),
        choices=[("", _("Any time")), *((key, band[0]) for key, band in AGE_BANDS.items())],
        required=False,
    )
    verified = forms.ChoiceField(
        label=_("Verified report"),
        choices=[("", _("Either")), ("yes", _("Verified")), ("no", _("Not verified"))],
        required=False,
    )
    q = forms.CharField(
        label=_("Report reference, web address or host"),
        required=False,
        max_length=MAX_SEARCH_LENGTH,
        strip=True,
    )
    # Where a page starts: a place in the queue (QueueKey.token), or for a search the case
    # number the page goes on before.
    after = forms.CharField(required=False, max_length=64)
    before = forms.IntegerField(required=False, min_value=1, max_value=MAX_CASE_NUMBER)

    def __init__(self, *args: Any, portals: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.portal_ids = portals
        field = self.fields["portal"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", gettext("All my portals")), *((c, c.upper()) for c in portals)]
        field.error_messages["invalid_choice"] = _(
            "You do not assess reports for the portal “%(value)s”; choose one of yours."
        )

    def clean_q(self) -> str:
        text: str = self.cleaned_data["q"]
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise forms.ValidationError(gettext("The search contains control characters."))
        return text

    def clean_after(self) -> QueueKey | None:
        token: str = self.cleaned_data["after"]
        if not token:
            return None
        try:
            key = QueueKey.parse(token)
        except (ValueError, OverflowError):
            key = None
        if key is None or not 0 < key.case_id <= MAX_CASE_NUMBER:
            raise forms.ValidationError(
                gettext("This page address is not valid; start from the first page.")
            )
        return key

    def chosen_portal_ids(self) -> list[int]:
        code = self.cleaned_data["portal"]
        return [self.portal_ids[code]] if code else list(self.portal_ids.values())

    def chosen_verified(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data["verified"])

    def chosen_ages(self) -> tuple[timedelta | None, timedelta | None]:
        band = AGE_BANDS.get(self.cleaned_data["age"])
        return (band[1], band[2]) if band else (None, None)


# Forms of QA, appeals and corrections (assessment/qa.py). The second assessment and a
# senior's decision of a disagreement use AssessmentForm itself.

DECIDING_KINDS = (OutcomeKind.CRIMINAL, OutcomeKind.NOT_CRIMINAL)


def deciding_outcomes(outcomes: list[SchemeOutcome]) -> list[SchemeOutcome]:
    """The outcomes an appeal or a correction may give: a criminal category or not criminal."""
    return [outcome for outcome in outcomes if outcome.kind in DECIDING_KINDS]


class AppealReassessmentForm(AssessmentForm):
    """A senior's re-assessment of an appealed case: criminal (refused) or not (upheld)."""

    def __init__(self, *args: Any, outcomes: list[SchemeOutcome], **kwargs: Any) -> None:
        super().__init__(*args, outcomes=deciding_outcomes(outcomes), **kwargs)
        del self.fields["duplicate_of"]


class AppealForm(forms.Form):
    """An appeal received: who appealed and their reference, never a person's details."""

    appellant = forms.ChoiceField(label=_("Appeal from"), choices=Appellant.choices)
    organisation = forms.CharField(
        label=_("Organisation (optional)"),
        required=False,
        max_length=200,
        help_text=_("The company or organisation only: no person's name or contact details."),
    )
    reference = forms.CharField(
        label=_("Their reference (optional)"),
        required=False,
        max_length=200,
        help_text=_("A ticket or letter number, to match the answer to the appeal."),
    )


class CorrectionForm(forms.Form):
    """A senior's correction of a result that stands: a new outcome and the reason."""

    outcome = forms.ChoiceField(
        label=_("Corrected outcome"), error_messages={"required": _("Choose an outcome.")}
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for the correction.")},
    )

    def __init__(self, *args: Any, outcomes: list[SchemeOutcome], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes = {outcome.code: outcome for outcome in deciding_outcomes(outcomes)}
        field = self.fields["outcome"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *((o.code, gettext(o.label)) for o in self.outcomes.values())]

    def chosen_outcome(self) -> SchemeOutcome:
        return self.outcomes[self.cleaned_data["outcome"]]


class WholeDomainForm(forms.Form):
    """A senior's decision to list a confirmed case's whole site: which domain, and that it is
    dedicated to abuse (a separate decision from the case's own, never automatic)."""

    domain = forms.ChoiceField(label=_("Domain"), widget=forms.RadioSelect)
    dedicated = forms.BooleanField(
        label=_("The whole site is dedicated to abuse: block every address under this domain."),
        error_messages={"required": _("Confirm that the whole site is dedicated to abuse.")},
    )

    def __init__(self, *args: Any, domains: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["domain"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(d, d) for d in domains]
