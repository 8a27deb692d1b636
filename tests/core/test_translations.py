"""Every public string is translated in every shipped language, every staff string in the
staff pages' languages (Arabic and French beside English), placeholders intact.

The check extracts the strings from the code as `make messages` does (Django's makemessages,
GNU xgettext) into a copy of the catalogues, so a string added to a template or a view without
its translations fails here, not in front of a reporter or an analyst.
"""

from __future__ import annotations

import gettext
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from hotline.core.catalogues import (
    LOCALE_DIR,
    STAFF_CATALOGUES,
    Problem,
    catalogue_paths,
    catalogue_problems,
    compile_catalogues,
    read_catalogue,
)

HOTLINE = LOCALE_DIR.parent
SHIPPED = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the code and catalogues, with the catalogues refreshed from the code."""
    copy = tmp_path_factory.mktemp("i18n") / "hotline"
    shutil.copytree(
        HOTLINE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "fonts")
    )
    cwd = os.getcwd()
    os.chdir(copy)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(settings, "LOCALE_PATHS", [copy / "locale"])
            call_command("makemessages", locale=SHIPPED, verbosity=0)
    finally:
        os.chdir(cwd)
    return copy / "locale"


def test_every_shipped_language_has_a_catalogue() -> None:
    assert {p.parents[1].name for p in catalogue_paths()} == set(SHIPPED)


def test_every_public_string_is_translated_with_its_placeholders(extracted: Path) -> None:
    problems = [str(p) for po in catalogue_paths(extracted) for p in catalogue_problems(po)]
    assert not problems, "run `make messages` and translate:\n" + "\n".join(problems)


def test_the_staff_catalogues_are_the_staff_pages_languages() -> None:
    assert set(STAFF_CATALOGUES) == set(settings.STAFF_LANGUAGES) - {settings.LANGUAGE_CODE}


def test_the_staff_pages_strings_are_extracted(extracted: Path) -> None:
    # The staff templates and views are in the catalogues, so the check above covers them.
    french = read_catalogue(extracted / "fr" / "LC_MESSAGES" / "django.po")
    for message in ("Assessment queue", "Record assessment", "Keyboard shortcuts"):
        assert french.get(message) is not None, message
        assert french[message].string, message


def test_a_staff_string_is_due_in_arabic_and_french_and_a_public_one_everywhere(
    tmp_path: Path,
) -> None:
    header = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
    )
    entries = (
        "#: assessment/templates/assessment/case.html:3 accounts/views.py:9\n"
        'msgid "Staff only"\nmsgstr ""\n\n'
        "#: assessment/views.py:5 intake/views.py:7\n"
        'msgid "Staff and public"\nmsgstr ""\n\n'
        "#: intake/views.py:8\n"
        'msgid "Public"\nmsgstr ""\n\n'
    )
    missing = {}
    for language in ("fr", "ar", "es", "sw"):
        po = tmp_path / language / "LC_MESSAGES" / "django.po"
        po.parent.mkdir(parents=True)
        po.write_text(header + entries, encoding="utf-8")
        missing[language] = {p.message for p in catalogue_problems(po)}
    staff_and_public = {"Staff only", "Staff and public", "Public"}
    assert missing == {
        "fr": staff_and_public,
        "ar": staff_and_public,
        "es": {"Staff and public", "Public"},
        "sw": {"Staff and public", "Public"},
    }


def test_the_check_finds_a_missing_translation_and_a_dropped_placeholder(tmp_path: Path) -> None:
    po = tmp_path / "xx" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Untranslated"\nmsgstr ""\n\n'
        'msgid "Line {n}: {reason}."\nmsgstr "Ligne {n} :"\n\n'
        'msgid "%(count)s address"\nmsgid_plural "%(count)s addresses"\n'
        'msgstr[0] "une adresse"\nmsgstr[1] "%(count)s adresses"\n\n'
        '#, fuzzy\nmsgid "Guessed"\nmsgstr "Deviné"\n\n'
        'msgid "Plain"\nmsgstr "<b>Gras</b>"\n',
        encoding="utf-8",
    )
    found = {(p.message, p.what.split(" ")[0]) for p in catalogue_problems(po)}
    assert found == {
        ("Untranslated", "not"),
        ("Line {n}: {reason}.", "form"),
        ("%(count)s address", "form"),
        ("Guessed", "marked"),
        ("Plain", "the"),
    }
    assert all(isinstance(p, Problem) for p in catalogue_problems(po))


def test_catalogues_compile(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = compile_catalogues(copy)
    assert {mo.parents[1].name for mo in written} == set(SHIPPED)
    for mo in written:
        with mo.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)
        assert catalogue.gettext("Send report") != "Send report", mo
