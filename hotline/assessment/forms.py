from __future__ import annotations

from django import forms

from hotline.assessment.models import Outcome
from hotline.core.classification import Category

NOT_CONFIRMED = "not_confirmed"


class AssessmentForm(forms.Form):
    decision = forms.ChoiceField(
        label="Assessment",
        choices=[
            (Category.A.value, "Category A"),
            (Category.B.value, "Category B"),
            (Category.C.value, "Category C"),
            (NOT_CONFIRMED, "Not child sexual abuse material"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a category, or 'Not child sexual abuse material'."},
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def outcome_and_category(self) -> tuple[Outcome, Category | None]:
        decision = self.cleaned_data["decision"]
        if decision == NOT_CONFIRMED:
            return Outcome.NOT_CONFIRMED, None
        return Outcome.CONFIRMED, Category(decision)
