"""Translation catalogues: compiled at install time with Babel, and checked for completeness.

The `.po` files are the source (committed, edited by translators); the `.mo` files are built
from them by `make` (`python -m hotline.core.catalogues compile`), so no compiled file can
drift from its source and no GNU gettext is needed to install Hotline. Extracting new strings
(`make messages`) does need GNU gettext, as Django's makemessages does.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
# The staff pages speak Arabic, French and English only (settings.STAFF_LANGUAGES): a string
# that only staff pages show must be translated into these catalogues, and the other languages'
# catalogues may leave it blank. A string is staff-only when every place it comes from is under
# one of these paths (relative to hotline/); one public use makes it public, due in every
# language. A new staff app or template goes here.
STAFF_CATALOGUES = frozenset({"ar", "fr"})
STAFF_SOURCES = (
    "accounts/",
    "assessment/",
    "cases/",
    "outcomes/",
    "takedown/",
    "core/classification.py",
    "templates/staff_base.html",
)
# %(name)s, %s, %d (python-format) and {name} (str.format / format_html) placeholders.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{(\w*)\}")


@dataclass(frozen=True)
class Problem:
    language: str
    message: str
    what: str

    def __str__(self) -> str:
        return f"[{self.language}] {self.message[:70]!r}: {self.what}"


def catalogue_paths(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    return sorted(locale_dir.glob("*/LC_MESSAGES/django.po"))


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, abort_invalid=True)


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write each django.po's django.mo beside it (fuzzy entries left out, as gettext does)."""
    written = []
    for po in catalogue_paths(locale_dir):
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, read_catalogue(po), use_fuzzy=False)
        written.append(mo)
    return written


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def _texts(message: Message) -> tuple[list[str], list[str]]:
    ids = list(message.id) if isinstance(message.id, tuple | list) else [message.id]
    raw = message.string if isinstance(message.string, tuple | list) else [message.string]
    return ids, [s or "" for s in raw]


def staff_only(message: Message) -> bool:
    """Whether only staff pages show `message` (see STAFF_SOURCES)."""
    return bool(message.locations) and all(
        filename.startswith(STAFF_SOURCES) for filename, _line in message.locations
    )


def catalogue_problems(path: Path) -> list[Problem]:
    """Untranslated, fuzzy or obsolete entries, wrong plural counts, changed placeholders.

    Staff-only strings count in the staff catalogues (STAFF_CATALOGUES) only: no staff page
    speaks the other languages, so what those catalogues hold for them is never shown.
    """
    catalogue = read_catalogue(path)
    language = path.parents[1].name
    problems: list[Problem] = []
    for message in catalogue:
        if not message.id:
            continue  # the header
        if language not in STAFF_CATALOGUES and staff_only(message):
            continue
        ids, strings = _texts(message)
        label = ids[0]
        if message.fuzzy:
            problems.append(Problem(language, label, "marked fuzzy: check and confirm it"))
        if any(not s for s in strings):
            problems.append(Problem(language, label, "not translated"))
            continue
        if len(ids) > 1 and len(strings) != catalogue.num_plurals:
            problems.append(
                Problem(
                    language,
                    label,
                    f"{len(strings)} plural forms; the catalogue declares {catalogue.num_plurals}",
                )
            )
        if any("<" in s or ">" in s for s in strings) and not any("<" in i for i in ids):
            # Some messages are formatted as HTML (format_html): a translation adds no markup.
            problems.append(Problem(language, label, "the translation adds HTML markup"))
        for index, string in enumerate(strings):
            source = ids[-1] if len(ids) > 1 and index > 0 else ids[0]
            expected = placeholders(ids[-1] if len(ids) > 1 else source)
            if placeholders(string) != expected:
                problems.append(
                    Problem(
                        language,
                        label,
                        f"form {index} has {placeholders(string)}, expected {expected}",
                    )
                )
    for message in catalogue.obsolete.values():
        problems.append(Problem(language, _texts(message)[0][0], "obsolete: delete it"))
    return problems


def main(argv: list[str]) -> int:
    if argv[1:] == ["compile"]:
        for mo in compile_catalogues():
            print(f"compiled {mo.relative_to(LOCALE_DIR.parent.parent)}")
        return 0
    if argv[1:] == ["check"]:
        problems = [p for po in catalogue_paths() for p in catalogue_problems(po)]
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    print("usage: python -m hotline.core.catalogues compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
