"""The public report form: URLs one per line, each checked, with reasons people can act on."""

from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from hotline.cases.canonical import MAX_URL_LENGTH, NotAWebAddress, canonicalise_url
from hotline.intake.models import ContentSeen, FoundOn

NO_FOLLOW_UP, RECEIPT = "none", "receipt"

MAX_URLS_PER_REPORT = 20
MAX_DESCRIPTION_LENGTH = 2000
# The field's own cap: far above 20 real URLs, far below the request body limit.
MAX_URLS_FIELD_LENGTH = MAX_URLS_PER_REPORT * (MAX_URL_LENGTH + 2)
# How many bad lines to name; past that, one summary line is clearer than a wall of errors.
MAX_LINE_ERRORS = 5


class ReportForm(forms.Form):
    urls = forms.CharField(
        label=_("Web addresses (one per line)"),
        help_text=format_lazy(
            _("Copy the full address from your browser's address bar. Up to {max} addresses."),
            max=MAX_URLS_PER_REPORT,
        ),
        widget=forms.Textarea(
            attrs={"rows": 6, "dir": "ltr", "spellcheck": "false", "autocomplete": "off"}
        ),
        error_messages={"required": _("Enter at least one web address.")},
        strip=False,
    )
    content_seen = forms.MultipleChoiceField(
        label=_("What did you see? (optional, tick all that apply)"),
        choices=ContentSeen.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    found_on = forms.ChoiceField(
        label=_("Where did you find it? (optional)"),
        choices=FoundOn.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("Anything else that would help the analysts? (optional)"),
        help_text=_("Do not include your name or contact details. Do not describe the child."),
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up = forms.ChoiceField(
        label=_("Do you want to check on your report later?"),
        help_text=_(
            "You get a receipt code, shown once. With it and the reference number you can see "
            "whether your report has been assessed. Nobody can link the code to you."
        ),
        choices=[
            (NO_FOLLOW_UP, _("No, thank you")),
            (RECEIPT, _("Yes, give me a receipt code")),
        ],
        initial=NO_FOLLOW_UP,
        required=False,  # left out (an old page, a script): no receipt
        widget=forms.RadioSelect,
    )

    def clean_urls(self) -> list[tuple[str, str]]:
        """[(as reported, canonical)], de-duplicated by canonical form, in the order given."""
        raw: str = self.cleaned_data["urls"]
        if len(raw) > MAX_URLS_FIELD_LENGTH:
            raise forms.ValidationError(
                _(
                    "That is too much text to report at once. "
                    "Report at most %(max)s addresses at a time."
                ),
                params={"max": localised(MAX_URLS_PER_REPORT)},
            )
        lines = [
            (n, line.strip()) for n, line in enumerate(raw.splitlines(), start=1) if line.strip()
        ]
        if not lines:
            raise forms.ValidationError(_("Enter at least one web address."))
        if len(lines) > MAX_URLS_PER_REPORT:
            raise forms.ValidationError(
                _("You entered %(count)s addresses; report at most %(max)s at a time."),
                params={"count": localised(len(lines)), "max": localised(MAX_URLS_PER_REPORT)},
            )
        errors: list[str] = []
        seen: dict[str, str] = {}
        for number, line in lines:
            try:
                canonical = canonicalise_url(line)
            except NotAWebAddress as exc:
                errors.append(
                    format_html(gettext("Line {n}: {reason}."), n=number, reason=_reason(exc))
                )
                continue
            seen.setdefault(canonical, line)
        if errors:
            shown = errors[:MAX_LINE_ERRORS]
            if len(errors) > MAX_LINE_ERRORS:
                more = len(errors) - MAX_LINE_ERRORS
                shown.append(
                    ngettext(
                        "…and %(n)s more line is not a web address.",
                        "…and %(n)s more lines are not web addresses.",
                        more,
                    )
                    % {"n": more}
                )
            raise forms.ValidationError(shown)
        return [(reported, canonical) for canonical, reported in seen.items()]


def localised(value: int) -> str:
    """A number as the page's language writes it: 2,048 in English, 2 048 in French."""
    return formats.number_format(value, force_grouping=True)


def _ltr(text: str) -> SafeString:
    # A left-to-right fragment (a scheme, a URL) inside right-to-left text: isolated, or the
    # Arabic sentence around it would reorder "http://" into "//:http".
    return format_html('<bdi dir="ltr">{}</bdi>', text)


def _reason(exc: NotAWebAddress) -> str:
    # The canonicaliser speaks English to developers; the public sees translated reasons.
    text = str(exc)
    if text.startswith("only http and https"):
        return format_html(
            gettext("only web addresses starting with {http} or {https} can be reported"),
            http=_ltr("http://"),
            https=_ltr("https://"),
        )
    if "longer than" in text:
        return str(
            _("the address is longer than %(max)s characters") % {"max": localised(MAX_URL_LENGTH)}
        )
    if "spaces or control" in text:
        return str(_("the address contains spaces or characters that cannot be in a web address"))
    return str(_("this is not a web address"))
