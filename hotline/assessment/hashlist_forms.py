"""Forms of the senior analysts' hash list page: its filters, adding by image or by pasted
hash, and removing, correcting and re-activating an entry.

The pasted hashes are read here, line by line, so that every wrong line is named with its
number before anything is added (`hashlist.actions.add_hashes` is all or nothing too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hotline.hashlist.models import EntryState, HashSource
from hotline.hashlist.signals import SIGNAL_TYPES

# How each signal type is written for people.
SIGNAL_LABELS = {"pdq": "PDQ", "md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}
SOURCE_LABELS = {
    HashSource.CONFIRMED_CASE: _("Confirmed case"),
    HashSource.SENIOR_UPLOAD: _("Uploaded image"),
    HashSource.SENIOR_PASTE: _("Pasted hash"),
    HashSource.IMPORT: _("Import"),
}
STATE_LABELS = {EntryState.ACTIVE: _("On the list"), EntryState.REMOVED: _("Removed")}

# At most this many images in one upload, and hashes in one paste: each upload is one version
# of the list, and its result page names every hash.
MAX_IMAGES = 20
MAX_PASTED_LINES = 10_000
# The longest search: a whole PDQ or SHA-256 hash.
LONGEST_HASH = max(signal.hex_length for signal in SIGNAL_TYPES.values())
HEX = re.compile(r"^[0-9a-f]+$")
# A bare value is read by its length where only one type has it (MD5 32, SHA-1 40); 64 is
# both PDQ and SHA-256, so those lines need their type or the form's choice.
BARE_LENGTHS: dict[int, list[str]] = {}
for _name, _signal in SIGNAL_TYPES.items():
    BARE_LENGTHS.setdefault(_signal.hex_length, []).append(_name)

Choices = list[tuple[str, Any]]


def _signal_choices(empty: Any) -> Choices:
    return [("", empty), *((name, SIGNAL_LABELS.get(name, name)) for name in SIGNAL_TYPES)]


class HashListFilterForm(forms.Form):
    signal_type = forms.ChoiceField(
        label=_("Kind of hash"), choices=_signal_choices(_("Any kind")), required=False
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("Any state")), *STATE_LABELS.items()],
        required=False,
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", _("Any source")), *SOURCE_LABELS.items()], required=False
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    q = forms.CharField(
        label=_("Hash or its beginning"),
        required=False,
        max_length=LONGEST_HASH + 10,
        strip=True,
    )
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args: Any, categories: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Any category")), *categories]

    def clean_q(self) -> str:
        value = str(self.cleaned_data.get("q") or "").lower()
        if value and (not HEX.match(value) or len(value) > LONGEST_HASH):
            raise ValidationError(
                _("Search with a hash, or its first characters, in hex (0-9, a-f).")
            )
        return value


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """One or several files (Django's FileField takes one)."""

    widget = MultipleImageInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            raise ValidationError(_("Choose at least one image."), code="required")
        if len(files) > MAX_IMAGES:
            raise ValidationError(
                _("Upload at most %(max)d images at a time.") % {"max": MAX_IMAGES}
            )
        return [super(ImagesField, self).clean(one, initial) for one in files]


class CategoryForm(forms.Form):
    """A form with a category from the user's classification schemes."""

    category = forms.ChoiceField(label=_("Category"))

    def __init__(self, *args: Any, categories: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = categories


class UploadForm(CategoryForm):
    images = ImagesField(
        label=_("Images"),
        help_text=_(
            "Each is hashed here and never kept: not on disk, not in the database, not in the "
            "audit log."
        ),
    )
    field_order = ["images", "category"]


BARE_64_CHOICES = [
    ("", _("Refuse them: write pdq or sha256 on the line")),
    ("pdq", "PDQ"),
    ("sha256", "SHA-256"),
]


@dataclass(frozen=True)
class PastedHash:
    line: int  # from 1
    signal_type: str
    value: str


def _read_line(number: int, text: str, bare_64: str) -> PastedHash | str:
    """The hash on one pasted line, or what is wrong with it (translated, with the number)."""
    parts = text.split()
    if len(parts) > 2:
        return gettext(
            "Line %(n)d: write the kind of hash and the hash, separated by a space "
            "(for example: md5 followed by the hash)."
        ) % {"n": number}
    if len(parts) == 2:
        kind = parts[0].lower().replace("-", "")
        value = parts[1].lower()
        signal = SIGNAL_TYPES.get(kind)
        if signal is None:
            return gettext(
                "Line %(n)d: %(kind)s is not a kind of hash the list holds (%(kinds)s)."
            ) % {"n": number, "kind": parts[0][:20], "kinds": ", ".join(SIGNAL_TYPES)}
    else:
        value = parts[0].lower()
        kinds = BARE_LENGTHS.get(len(value), [])
        if len(kinds) > 1 and bare_64 in kinds:
            kinds = [bare_64]
        if len(kinds) > 1:
            return gettext(
                "Line %(n)d: %(length)d hex characters may be a %(kinds)s hash; write the kind "
                "before it (for example: pdq followed by the hash), or choose below which kind "
                "such lines are."
            ) % {
                "n": number,
                "length": len(value),
                "kinds": gettext(" or ").join(SIGNAL_LABELS.get(k, k) for k in kinds),
            }
        if not kinds:
            return gettext(
                "Line %(n)d: no kind of hash is %(length)d characters long; write the kind "
                "before the hash (MD5 is 32 hex characters, SHA-1 40, PDQ and SHA-256 64)."
            ) % {"n": number, "length": len(value)}
        signal = SIGNAL_TYPES[kinds[0]]
    if not HEX.match(value):
        return gettext("Line %(n)d: a hash is written in hex (0-9, a-f).") % {"n": number}
    if len(value) != signal.hex_length:
        return gettext(
            "Line %(n)d: a hash of kind %(kind)s is %(length)d hex characters, not %(got)d."
        ) % {
            "n": number,
            "kind": SIGNAL_LABELS.get(signal.name, signal.name),
            "length": signal.hex_length,
            "got": len(value),
        }
    return PastedHash(number, signal.name, value)


class PasteForm(CategoryForm):
    hashes = forms.CharField(
        label=_("Hashes, one a line"),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "dir": "ltr"}),
        help_text=_(
            "The kind, a space and the hash: pdq, md5, sha1 or sha256 (for example: md5 "
            "followed by 32 hex characters). A hash alone is read by its length: 32 "
            "characters MD5, 40 SHA-1. Empty lines and lines starting with # are skipped."
        ),
        max_length=MAX_PASTED_LINES * (LONGEST_HASH + 12),
        strip=False,
    )
    bare_64 = forms.ChoiceField(
        label=_("Hashes of 64 characters without a kind"),
        choices=BARE_64_CHOICES,
        required=False,
    )
    field_order = ["hashes", "bare_64", "category"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("hashes")
        if text is None:
            return data
        read: list[PastedHash] = []
        problems: list[str] = []
        lines = text.splitlines()
        if sum(1 for line in lines if line.strip()) > MAX_PASTED_LINES:
            self.add_error(
                "hashes",
                _("Paste at most %(max)d hashes at a time.") % {"max": MAX_PASTED_LINES},
            )
            return data
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            found = _read_line(number, line, data.get("bare_64") or "")
            if isinstance(found, str):
                problems.append(found)
            else:
                read.append(found)
        if problems:
            self.add_error("hashes", [ValidationError(p) for p in problems])
        elif not read:
            self.add_error("hashes", _("Paste at least one hash."))
        data["pasted"] = read
        return data


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=kwargs.pop("label", _("Reason")),
            max_length=200,
            error_messages={"required": _("Give the reason.")},
            **kwargs,
        )


class RemoveForm(forms.Form):
    reason = ReasonField(
        label=_("Why it leaves the list"),
        help_text=_("For example: a false match, an appeal upheld, an assessment overturned."),
    )


class CorrectForm(CategoryForm):
    reason = ReasonField(label=_("Why the category changes"))


class ReactivateForm(CategoryForm):
    reason = ReasonField(label=_("Why it returns to the list"))

    def __init__(self, *args: Any, categories: Choices, **kwargs: Any) -> None:
        super().__init__(*args, categories=categories, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.required = False
        field.choices = [("", _("Keep its category")), *categories]
