"""The public report form: URLs one per line, each checked, with reasons people can act on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from hotline.core.canonical import MAX_URL_LENGTH, NotAWebAddress, canonicalise_url
from hotline.core.mail import mail_configured
from hotline.intake.models import ContentSeen, FoundOn

NO_FOLLOW_UP, RECEIPT = "none", "receipt"

MAX_URLS_PER_REPORT = 20
MAX_DESCRIPTION_LENGTH = 2000
# The field's own cap: far above 20 real URLs, far below the request body limit.
MAX_URLS_FIELD_LENGTH = MAX_URLS_PER_REPORT * (MAX_URL_LENGTH + 2)
# How many bad lines to name; past that, one summary line is clearer than a wall of errors.
MAX_LINE_ERRORS = 5
# The longest address SMTP can carry (RFC 5321's path limit, less its angle brackets).
MAX_EMAIL_LENGTH = 254


class SharedFields(dict[str, forms.Field]):
    """A form's `base_fields`, handed to each instance as they are instead of deep-copied.

    Django deep-copies every field (widget, choices and all) for each form, so that one form
    may change its own fields without touching the others. Copying the report form's, whose
    choices carry lazily translated labels, cost a twentieth of a report's CPU under load
    (docs/benchmarks.md). Each form still gets a dict of its own, so it may remove or replace
    fields; a form of this kind must never change a field in place (its label, widget,
    choices...): that change would show in every form the process builds afterwards.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> dict[str, forms.Field]:
        return dict(self)


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
    # Offered only when the site can send e-mail (see __init__).
    status_email = forms.EmailField(
        label=_("E-mail address for one status message (optional)"),
        help_text=_(
            "Only if you want to be told when your report has been assessed. An e-mail address "
            "can show who you are: leave this empty to stay anonymous."
        ),
        required=False,
        max_length=MAX_EMAIL_LENGTH,
        error_messages={
            "invalid": _("Enter an e-mail address such as name@example.org, or leave it empty."),
            "max_length": _("An e-mail address has at most %(limit_value)d characters."),
        },
        widget=forms.EmailInput(
            attrs={"dir": "ltr", "autocomplete": "email", "spellcheck": "false"}
        ),
    )
    status_email_consent = forms.BooleanField(
        label=_(
            "Yes, send me one message at this address when my report has been assessed, then "
            "delete the address. It is never used for anything else."
        ),
        help_text=format_lazy(
            _(
                "If your report has not been assessed after {days} days, the address is deleted "
                "without a message."
            ),
            days=settings.HOTLINE_STATUS_EMAIL_DAYS,
        ),
        required=False,
        template_name="intake/consent_field.html",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # the fields are shared, not copied: see below
        if not mail_configured():
            # A portal must not promise a message it cannot send: no mailer, no offer (and an
            # address posted anyway is ignored).
            del self.fields["status_email"], self.fields["status_email_consent"]

    def clean_status_email(self) -> str:
        address: str = self.cleaned_data["status_email"]
        # Django accepts "name@localhost" and "name@[10.0.0.1]"; they would point the mail
        # server at itself or its own network. A reporter's mailbox has an internet domain.
        domain = address.rpartition("@")[2]
        if address and (domain.startswith("[") or "." not in domain):
            raise forms.ValidationError(self.fields["status_email"].error_messages["invalid"])
        return address

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "status_email" not in self.fields:
            return data
        # Explicit consent both ways: an address is kept only with the box ticked, and a ticked
        # box without an address would silently promise nothing.
        address, consent = data.get("status_email"), data.get("status_email_consent")
        if address and not consent:
            self.add_error(
                "status_email_consent",
                _("Tick this box if you want the message, or leave the e-mail address empty."),
            )
        elif consent and not address and "status_email" not in self.errors:
            self.add_error(
                "status_email",
                _("Enter the e-mail address the message should go to, or untick the box."),
            )
        return data

    def status_email_address(self) -> str:
        """The address to keep for the status message, given with consent; else ""."""
        data = self.cleaned_data
        return str(data.get("status_email") or "") if data.get("status_email_consent") else ""

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


# Its fields are never changed in place (__init__ only removes some from the form's own dict),
# so every form can share them.
ReportForm.base_fields = SharedFields(ReportForm.base_fields)


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
