"""`hotline hashlist import|export`: the HMA / ThreatExchange CSV (`threatexchange dataset
--csv`: signal_type,signal_str,collab,category,tags), checked whole, all or nothing."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.audit.models import AuditEvent
from hotline.hashlist.exchange import ImportRefused, import_hma_csv
from hotline.hashlist.history import current_version, live_entries
from hotline.hashlist.models import (
    HashListChange,
    HashListEntry,
    HashListSnapshot,
    HashListVersion,
    HashSource,
)
from tests.hashlist.world import add, md5, pdq

HEADER = "signal_type,signal_str,collab,category,tags\n"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("hashlist", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_hma_export_imports_into_another_hotline_as_it_was(db: None, tmp_path: Path) -> None:
    add(("pdq", pdq(1)), ("md5", md5(1)), category="A")
    add(("sha256", pdq(2)), category="NPI")
    exported, _ = run("export", "--format", "hma", "--collab", "Hotline TN")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["signal_type", "signal_str", "collab", "category", "tags"]
    assert rows[1] == ["pdq", pdq(1), "Hotline TN", "POSITIVE_CLASS", "category:A"]
    assert exported.endswith("\r\n"), "csv's line ends, as threatexchange writes them"
    before = [(e.signal_type, e.value, e.category) for e in live_entries()]
    path = tmp_path / "from-tn.csv"
    path.write_text(exported, newline="")
    # Another hotline: an empty list.
    HashListChange.objects.all().delete()
    HashListEntry.objects.all().delete()
    HashListSnapshot.objects.all().delete()
    HashListVersion.objects.all().delete()
    out, _ = run("import", str(path))
    assert "3 hashes, 3 added, 0 re-activated, 0 already listed (version 1)" in out
    assert [(e.signal_type, e.value, e.category) for e in live_entries()] == before
    entry = HashListEntry.objects.get(signal_type="pdq")
    assert entry.source == HashSource.IMPORT
    assert entry.source_note.startswith("from-tn.csv sha256:")
    assert "collab:Hotline TN" in entry.source_note
    event = AuditEvent.objects.filter(action="hashlist.entries_added").latest("pk")
    assert event.data["source"] == "import" and event.data["added"] == 3
    again, _ = run("import", str(path))
    assert "3 already listed (no new version)" in again


def test_rows_without_a_category_tag_take_the_category_given(db: None, tmp_path: Path) -> None:
    path = tmp_path / "seed.csv"
    path.write_text(HEADER + f"pdq,{pdq(1).upper()},NCMEC,POSITIVE_CLASS,\n" + f"md5,{md5(1)},,,\n")
    run("import", str(path), "--category", "B")
    assert [(e.value, e.category) for e in live_entries()] == [(pdq(1), "B"), (md5(1), "B")]


def test_a_file_with_wrong_lines_imports_nothing_and_names_each_line(
    db: None, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + f"pdq,{pdq(1)},c,POSITIVE_CLASS,category:A\n"  # line 2: fine
        + "pdq,12345,c,POSITIVE_CLASS,category:A\n"  # 3: too short
        + f"video_md5,{md5(1)},c,POSITIVE_CLASS,category:A\n"  # 4: a video's hash
        + f"md5,{md5(2)},c,NEGATIVE_CLASS,category:A\n"  # 5: a false positive
        + f"md5,{md5(3)},c,POSITIVE_CLASS,\n"  # 6: no category
        + f"pdq,{pdq(1)},c,POSITIVE_CLASS,category:B\n"  # 7: line 2 with another category
        + f"md5,{md5(4)},c\n"  # 8: fields missing
        + f"pdq,{pdq(2)},c,POSITIVE_CLASS,category:A pdq_exact:false\n"  # 9: fast PDQ
    )
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 7 line"):
        call_command("hashlist", "import", str(path), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert [line.split(":")[1] for line in lines] == [
        "line 3",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
        "line 8",
        "line 9",
    ]
    text = err.getvalue()
    assert "64 hex characters" in text
    assert "'video_md5' hashes are not of images" in text
    assert "NEGATIVE_CLASS, not POSITIVE_CLASS" in text
    assert "no category" in text
    assert "same hash as line 2" in text
    assert "3 fields where the header has 5" in text
    assert "not exact" in text
    assert not HashListEntry.objects.exists() and current_version() == 0


def test_a_pdq_column_marking_a_fast_hash_is_refused(db: None) -> None:
    data = (
        "signal_type,signal_str,category,tags,pdq_exact\n"
        f"pdq,{pdq(1)},POSITIVE_CLASS,category:A,false\n"
        f"pdq,{pdq(2)},POSITIVE_CLASS,category:A,true\n"
    ).encode()
    with pytest.raises(ImportRefused) as refused:
        import_hma_csv(data, name="fast.csv", category=None, actor="system")
    assert [(e.line, "not exact" in e.message) for e in refused.value.errors] == [(2, True)]


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("", 1, "must be the header"),
        (f"pdq {pdq(1)}\n", 1, "must be the header"),
        ("signal_type,signal_str,owner\n", 1, "unknown column(s) owner"),
        (HEADER, 2, "holds no hashes"),
    ],
)
def test_a_file_that_is_not_an_hma_csv_is_refused(
    db: None, text: str, line: int, says: str
) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_hma_csv(text.encode(), name="x.csv", category="A", actor="system")
    (error,) = refused.value.errors
    assert error.line == line and says in error.message


def test_a_bad_category_option_is_refused(db: None, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(HEADER + f"md5,{md5(1)},,,\n")
    with pytest.raises(CommandError):
        call_command("hashlist", "import", str(path), "--category", "A B", stderr=StringIO())
    assert not HashListEntry.objects.exists()


def test_export_as_the_feeds_json_and_csv(db: None) -> None:
    add(("md5", md5(1)), category="C")
    out, _ = run("export", "--format", "json")
    body = json.loads(out)
    assert (body["version"], body["count"], body["entries"][0]["hash"]) == (1, 1, md5(1))
    out, _ = run("export", "--format", "csv")
    assert out.splitlines()[1].startswith(f"md5,{md5(1)},C,")
