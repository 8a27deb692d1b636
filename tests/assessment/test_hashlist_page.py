"""The senior analysts' hash list page (/staff/hashlist/): what it lists, how hashes are added
by uploading images (hashed, never kept) or by pasting them (all or nothing, every wrong line
named), how an entry is removed, corrected and re-activated, and who may do any of it.

Every image here is generated: shapes and noise drawn with Pillow."""

from __future__ import annotations

import io
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files import temp as django_temp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client, override_settings
from PIL import Image, ImageDraw

from hotline.accounts.actions import grant_portal_roles
from hotline.accounts.models import Role
from hotline.assessment import hashlist_views
from hotline.audit.models import AuditEvent
from hotline.hashlist.actions import NewHash, add_hashes, remove_hashes
from hotline.hashlist.history import current_version
from hotline.hashlist.models import EntryState, HashListEntry, HashSource
from hotline.hashlist.signals import hash_image
from hotline.portals.models import Portal
from tests.conftest import Analyst, make_analyst, sign_in

LIST = "/staff/hashlist/"
ADD = "/staff/hashlist/add/"
UPLOAD = "/staff/hashlist/add/upload/"
PASTE = "/staff/hashlist/add/paste/"

MD5 = "0123456789abcdef0123456789abcdef"
SHA1 = "0123456789abcdef0123456789abcdef01234567"
HEX64 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def synthetic_png(seed: int, size: int = 256) -> bytes:
    """A generated picture: noise under a few coloured shapes, different for each seed."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (size, size), rng.randbytes(size * size * 3))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size), rng.randrange(size)
        box = (x, y, x + rng.randrange(20, 120), y + rng.randrange(20, 120))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def flat_png() -> bytes:
    """One grey: no detail for PDQ (its quality is 0)."""
    out = io.BytesIO()
    Image.new("RGB", (128, 128), (128, 128, 128)).save(out, format="PNG")
    return out.getvalue()


def png_file(data: bytes, name: str = "picture.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def keeper(username: str, portal: str = "tn", role: Role = Role.SENIOR_ANALYST) -> Analyst:
    who = make_analyst(username, [])
    grant_portal_roles(user=who.user, portal_codes=[portal], role=role)
    return who


@pytest.fixture
def senior(tn: Portal) -> Analyst:
    return keeper("sam")


@pytest.fixture
def senior_client(senior: Analyst) -> Client:
    client = Client()
    sign_in(client, senior)
    return client


def entries() -> dict[str, HashListEntry]:
    return {e.signal_type: e for e in HashListEntry.objects.all()}


def page_text(response: Any) -> str:
    return str(response.content.decode())


# -- Uploading images ---------------------------------------------------------------------------


@pytest.fixture
def no_disk(tmp_path: Path) -> Iterator[Path]:
    """Any temporary file fails loudly, and Django's own handlers would spill anything over
    10 bytes to one: an upload that reaches the disk cannot pass unseen."""

    opened: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        opened.append(repr((args, kwargs)))
        raise AssertionError("an uploaded image went to a temporary file")

    with (
        pytest.MonkeyPatch.context() as patch,
        override_settings(
            FILE_UPLOAD_MAX_MEMORY_SIZE=10, FILE_UPLOAD_TEMP_DIR=str(tmp_path), MEDIA_ROOT=tmp_path
        ),
    ):
        for name in ("mkstemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"):
            patch.setattr(tempfile, name, refuse)
        # Django's upload files take theirs from its own module (bound when it was imported).
        patch.setattr(django_temp, "NamedTemporaryFile", refuse)
        yield tmp_path
    assert opened == []


def binary_rows() -> dict[str, list[bytes]]:
    """Every value of every BinaryField in the database, by model."""
    found: dict[str, list[bytes]] = {}
    for model in apps.get_models():
        fields = [f.name for f in model._meta.fields if isinstance(f, models.BinaryField)]
        for name in fields:
            values = model._default_manager.values_list(name, flat=True)
            found[f"{model._meta.label}.{name}"] = [bytes(v or b"") for v in values]
    return found


def test_an_uploaded_image_puts_its_pdq_sha256_and_md5_on_the_list_and_is_kept_nowhere(
    senior_client: Client, senior: Analyst, no_disk: Path
) -> None:
    data = synthetic_png(1)
    before = binary_rows()
    response = senior_client.post(
        UPLOAD, {"images": png_file(data, "evidence-name.png"), "category": "A"}
    )
    assert response.status_code == 200
    expected = hash_image(data)
    assert expected.pdq_quality >= 50
    listed = entries()
    assert set(listed) == {"pdq", "sha256", "md5"}
    assert (listed["pdq"].value, listed["sha256"].value, listed["md5"].value) == (
        expected.pdq,
        expected.sha256,
        expected.md5,
    )
    for entry in listed.values():
        assert entry.category == "A"
        assert entry.source == HashSource.SENIOR_UPLOAD
        assert entry.added_by == f"staff:{senior.user.pk}"
        assert entry.state == EntryState.ACTIVE
    text = page_text(response)
    assert "Added: 3." in text and expected.pdq in text and "evidence-name.png" in text
    # Nothing of the image anywhere: no file written, no new binary row, nothing in the
    # database holding its bytes, no name or byte of it in the audit log.
    assert list(no_disk.iterdir()) == []
    assert binary_rows() == before
    assert all(data not in value for values in binary_rows().values() for value in values)
    event = AuditEvent.objects.get(action="hashlist.entries_added")
    assert event.data["source"] == "senior_upload" and event.data["added"] == 3
    assert "evidence-name" not in str(event.data) and event.data["note"] == ""


def test_several_images_are_added_in_one_version(senior_client: Client, no_disk: Path) -> None:
    before = current_version()
    response = senior_client.post(
        UPLOAD,
        {"images": [png_file(synthetic_png(2), "a.png"), png_file(synthetic_png(3), "b.png")],
         "category": "B"},
    )  # fmt: skip
    assert response.status_code == 200
    assert HashListEntry.objects.filter(category="B").count() == 6
    assert current_version() == before + 1
    assert "Added: 6." in page_text(response)


def test_a_file_that_is_not_an_image_is_refused_with_why(
    senior_client: Client, no_disk: Path
) -> None:
    version = current_version()
    response = senior_client.post(
        UPLOAD, {"images": png_file(b"%PDF-1.4 not a picture", "notes.png"), "category": "A"}
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "Refused: not an image this system can read" in text
    assert "not in an image format this system can decode" in text
    assert HashListEntry.objects.count() == 0 and current_version() == version


def test_a_picture_with_too_little_detail_gives_no_pdq_hash_but_its_file_hashes_go_on(
    senior_client: Client, no_disk: Path
) -> None:
    data = flat_png()
    assert hash_image(data).pdq_quality < 50
    response = senior_client.post(UPLOAD, {"images": png_file(data), "category": "C"})
    text = page_text(response)
    assert set(entries()) == {"sha256", "md5"}
    assert "PDQ quality 0 is under 50" in text
    assert 'data-kind="pdq" data-status="refused"' in text


@override_settings(HOTLINE_HASHLIST_PDQ_QUALITY_FLOOR=0)
def test_the_quality_floor_is_the_hash_lists_setting(senior_client: Client, no_disk: Path) -> None:
    senior_client.post(UPLOAD, {"images": png_file(flat_png()), "category": "A"})
    assert set(entries()) == {"pdq", "sha256", "md5"}


def test_an_image_uploaded_again_is_already_listed_and_after_removal_comes_back(
    senior_client: Client, no_disk: Path
) -> None:
    image = synthetic_png(5)
    senior_client.post(UPLOAD, {"images": png_file(image), "category": "A"})
    again = senior_client.post(UPLOAD, {"images": png_file(image), "category": "A"})
    assert "Already on the list: 3." in page_text(again)
    remove_hashes(entry_ids=[e.pk for e in entries().values()], reason="test", actor="system")
    back = senior_client.post(UPLOAD, {"images": png_file(image), "category": "B"})
    assert "Back on the list: 3." in page_text(back)
    assert HashListEntry.objects.count() == 3
    assert {e.category for e in entries().values()} == {"B"}


def test_an_upload_without_a_file_or_a_known_category_is_refused(senior_client: Client) -> None:
    assert senior_client.post(UPLOAD, {"category": "A"}).status_code == 400
    response = senior_client.post(UPLOAD, {"images": png_file(synthetic_png(6)), "category": "Z"})
    assert response.status_code == 400 and HashListEntry.objects.count() == 0


def test_the_upload_checks_its_csrf_token(senior: Analyst) -> None:
    # The view reads the body itself (its files stay in memory), so it makes the CSRF check
    # the middleware would have made.
    signed_in = Client()
    sign_in(signed_in, senior)
    client = Client(enforce_csrf_checks=True)
    client.cookies = signed_in.cookies
    refused = client.post(UPLOAD, {"images": png_file(synthetic_png(7)), "category": "A"})
    assert refused.status_code == 403 and HashListEntry.objects.count() == 0
    form = client.get(ADD)
    token = form.context["csrf_token"]
    accepted = client.post(
        UPLOAD,
        {"images": png_file(synthetic_png(7)), "category": "A", "csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == 200 and HashListEntry.objects.count() == 3


@override_settings(HOTLINE_MAX_BODY_BYTES=60_000)
def test_an_upload_over_the_body_limit_is_refused_unread(
    senior_client: Client, no_disk: Path
) -> None:
    big = synthetic_png(8, size=300)  # about 270 kB of noise, over the 60 kB cap
    assert len(big) > 60_000
    # Past the body limit, the client is refused before the body is read (hotline/core).
    assert senior_client.post(UPLOAD, {"images": png_file(big), "category": "A"}).status_code == 413


def test_the_memory_handler_keeps_at_most_the_cap(rf: Any) -> None:
    from hotline.core.uploads import MemoryOnlyUploadHandler

    request = rf.post("/x/", {"f": SimpleUploadedFile("a.bin", b"x" * 5000)})
    request.upload_handlers = [MemoryOnlyUploadHandler(request, cap=1000)]
    kept = request.FILES["f"]
    assert kept.size == 1001 and len(kept.read()) == 1001


# -- Pasting hashes -----------------------------------------------------------------------------


def test_pasted_hashes_go_on_the_list_with_their_kind(senior_client: Client) -> None:
    pasted = f"pdq {HEX64.upper()}\n\n# a comment\nmd5 {MD5}\n  {SHA1}  \nSHA-256 {'ab' * 32}\n"
    response = senior_client.post(PASTE, {"hashes": pasted, "category": "NPI"})
    assert response.status_code == 200, page_text(response)
    assert {(e.signal_type, e.value) for e in HashListEntry.objects.all()} == {
        ("pdq", HEX64),
        ("md5", MD5),
        ("sha1", SHA1),
        ("sha256", "ab" * 32),
    }
    assert set(HashListEntry.objects.values_list("source", "category")) == {("senior_paste", "NPI")}
    assert "Added: 4." in page_text(response)


def test_a_paste_with_wrong_lines_adds_nothing_and_names_each_line(senior_client: Client) -> None:
    pasted = "\n".join(
        [
            f"md5 {MD5}",  # 1: good
            "md5 0123",  # 2: too short
            f"tlsh {MD5}",  # 3: not a kind the list holds
            "zz" * 16,  # 4: not hex
            f"md5 {MD5} extra",  # 5: three words
            "abc",  # 6: no kind has 3 characters
        ]
    )
    response = senior_client.post(PASTE, {"hashes": pasted, "category": "A"})
    assert response.status_code == 400
    text = page_text(response)
    assert "Line 2: a hash of kind MD5 is 32 hex characters, not 4." in text
    assert "Line 3: tlsh is not a kind of hash the list holds" in text
    assert "Line 4: a hash is written in hex" in text
    assert "Line 5: write the kind of hash and the hash" in text
    assert "Line 6: no kind of hash is 3 characters long" in text
    assert "Line 1:" not in text
    assert HashListEntry.objects.count() == 0
    # What was typed is kept, to be corrected.
    assert MD5 in text


def test_a_bare_64_character_hash_needs_its_kind(senior_client: Client) -> None:
    refused = senior_client.post(PASTE, {"hashes": f"md5 {MD5}\n{HEX64}", "category": "A"})
    assert refused.status_code == 400
    assert "Line 2: 64 hex characters may be a PDQ or SHA-256 hash" in page_text(refused)
    assert HashListEntry.objects.count() == 0
    chosen = senior_client.post(PASTE, {"hashes": HEX64, "bare_64": "sha256", "category": "A"})
    assert chosen.status_code == 200
    assert list(HashListEntry.objects.values_list("signal_type", "value")) == [("sha256", HEX64)]


def test_an_empty_paste_says_so(senior_client: Client) -> None:
    response = senior_client.post(PASTE, {"hashes": "\n# nothing\n", "category": "A"})
    assert response.status_code == 400 and "Paste at least one hash." in page_text(response)


# -- One entry: remove, correct, re-activate ------------------------------------------------------


@pytest.fixture
def entry(tn: Portal) -> HashListEntry:
    added = add_hashes(
        entries=[NewHash("md5", MD5, "B")], source=HashSource.SENIOR_PASTE, actor="system"
    )
    return HashListEntry.objects.get(pk=added.added[0])


def test_removing_an_entry_needs_a_reason(senior_client: Client, entry: HashListEntry) -> None:
    url = f"/staff/hashlist/entries/{entry.pk}/"
    refused = senior_client.post(url + "remove/", {"remove-reason": "  "})
    assert refused.status_code == 400 and "Give the reason." in page_text(refused)
    entry.refresh_from_db()
    assert entry.state == EntryState.ACTIVE
    done = senior_client.post(url + "remove/", {"remove-reason": "false match"}, follow=True)
    assert "The hash is off the list." in page_text(done)
    entry.refresh_from_db()
    assert (entry.state, entry.removal_reason) == (EntryState.REMOVED, "false match")
    listed = page_text(senior_client.get(LIST))
    assert "false match" in listed and entry.value in listed


def test_correcting_and_reactivating_an_entry(
    senior_client: Client, senior: Analyst, entry: HashListEntry
) -> None:
    url = f"/staff/hashlist/entries/{entry.pk}/"
    senior_client.post(url + "category/", {"correct-category": "A", "correct-reason": "recheck"})
    entry.refresh_from_db()
    assert entry.category == "A"
    event = AuditEvent.objects.get(action="hashlist.entry_recategorised")
    assert event.actor == f"staff:{senior.user.pk}" and event.data["reason"] == "recheck"
    # A category outside the senior's schemes is refused.
    refused = senior_client.post(
        url + "category/", {"correct-category": "Q", "correct-reason": "x"}
    )
    assert refused.status_code == 400
    remove_hashes(entry_ids=[entry.pk], reason="appeal upheld", actor="system")
    # A removed entry cannot be corrected: re-activate it.
    wrong = senior_client.post(
        url + "category/", {"correct-category": "C", "correct-reason": "x"}, follow=True
    )
    assert "re-activate it first" in page_text(wrong)
    back = senior_client.post(
        url + "reactivate/",
        {"reactivate-reason": "appeal overturned", "reactivate-category": ""},
        follow=True,
    )
    assert "The hash is back on the list." in page_text(back)
    entry.refresh_from_db()
    assert (entry.state, entry.category) == (EntryState.ACTIVE, "A")
    history = page_text(senior_client.get(url))
    for reason in ("recheck", "appeal upheld", "appeal overturned"):
        assert reason in history
    again = senior_client.post(url + "reactivate/", {"reactivate-reason": "x"}, follow=True)
    assert "This hash is on the list already." in page_text(again)


# -- The list: counts, filters, search, pages ----------------------------------------------------


@pytest.fixture
def listed(tn: Portal) -> None:
    add_hashes(
        entries=[
            NewHash("md5", MD5, "A"),
            NewHash("sha1", SHA1, "B"),
            NewHash("pdq", HEX64, "C", case_id=4242),
        ],
        source=HashSource.CONFIRMED_CASE,
        actor="system",
    )
    add_hashes(
        entries=[NewHash("sha256", "ab" * 32, "A"), NewHash("md5", "cd" * 16, "A")],
        source=HashSource.SENIOR_PASTE,
        actor="system",
    )
    remove_hashes(
        entry_ids=[HashListEntry.objects.get(value="cd" * 16).pk], reason="dup", actor="system"
    )


def rows_of(client: Client, **query: Any) -> list[str]:
    response = client.get(LIST, query)
    assert response.status_code == 200, page_text(response)
    return [row["entry"].value for row in response.context["rows"]]


def test_the_list_counts_active_hashes_per_kind_and_says_the_version(
    senior_client: Client, listed: None
) -> None:
    text = page_text(senior_client.get(LIST))
    # Each kind and its count isolated (<bdi>): on a right-to-left page the Latin names and
    # digits would otherwise run together with the parentheses and commas around them.
    assert (
        "Version 3: 4 hashes on the list (<bdi>PDQ 1</bdi>, <bdi>MD5 1</bdi>, "
        "<bdi>SHA-1 1</bdi>, <bdi>SHA-256 1</bdi>)." in text
    )
    # The source case of a confirmed case's entry is linked.
    assert 'href="/staff/cases/4242/"' in text


def test_the_list_is_newest_first_and_filters(senior_client: Client, listed: None) -> None:
    assert rows_of(senior_client) == ["cd" * 16, "ab" * 32, HEX64, SHA1, MD5]
    assert rows_of(senior_client, signal_type="md5") == ["cd" * 16, MD5]
    assert rows_of(senior_client, state="removed") == ["cd" * 16]
    assert rows_of(senior_client, source="confirmed_case") == [HEX64, SHA1, MD5]
    assert rows_of(senior_client, category="A", state="active") == ["ab" * 32, MD5]


def test_the_list_is_searched_by_a_hash_or_its_beginning(
    senior_client: Client, listed: None
) -> None:
    assert rows_of(senior_client, q="0123456789ABCDEF") == [SHA1, MD5]
    # A whole MD5 hash is looked up as itself, and as the beginning of longer hashes.
    assert rows_of(senior_client, q=MD5) == [SHA1, MD5]
    assert rows_of(senior_client, q=MD5, signal_type="md5") == [MD5]
    assert rows_of(senior_client, q=HEX64[:10], signal_type="pdq") == [HEX64]
    assert rows_of(senior_client, q=HEX64[:10], signal_type="md5") == []
    refused = senior_client.get(LIST, {"q": "not-hex"})
    assert refused.status_code == 400 and "in hex" in page_text(refused)


def test_the_list_pages(
    senior_client: Client, listed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashlist_views, "PAGE_SIZE", 2)
    first = senior_client.get(LIST, {"state": "active"})
    assert "Page 1 of 2" in page_text(first)
    assert "?state=active&amp;page=2" in page_text(first)
    assert rows_of(senior_client, state="active", page=2) == [SHA1, MD5]


def test_an_empty_list_says_where_hashes_come_from(senior_client: Client) -> None:
    text = page_text(senior_client.get(LIST))
    assert "The hash list is empty." in text
    filtered = page_text(senior_client.get(LIST, {"q": "abc"}))
    assert "No entry matches." in filtered


# -- Who -------------------------------------------------------------------------------------------


def test_only_senior_analysts_and_administrators_of_any_portal_keep_the_list(
    tn: Portal, ma: Portal, alice: Analyst, entry: HashListEntry
) -> None:
    viewer = make_analyst("vera", [])
    grant_portal_roles(user=viewer.user, portal_codes=["tn"], role=Role.PARTNER_VIEWER)
    callers = {
        "analyst": (alice, 403),
        "viewer": (viewer, 403),
        "senior of another portal": (keeper("mona", "ma"), 200),
        "administrator": (keeper("ada", "tn", Role.ADMINISTRATOR), 200),
    }
    for name, (who, status) in callers.items():
        client = Client()
        sign_in(client, who)
        for url in (LIST, ADD, f"/staff/hashlist/entries/{entry.pk}/"):
            assert client.get(url).status_code == status, (name, url)
        posted = client.post(f"/staff/hashlist/entries/{entry.pk}/remove/", {"remove-reason": "x"})
        assert posted.status_code == (403 if status == 403 else 302), name
        menu = page_text(client.get("/staff/welfare/"))
        assert ('href="/staff/hashlist/"' in menu) is (status == 200), name
    entry.refresh_from_db()
    assert entry.state == EntryState.REMOVED  # by the senior of the other portal only
    assert AuditEvent.objects.filter(action="hashlist.entries_removed").count() == 1
    anonymous = Client().get(LIST)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/staff/login/")


def test_a_senior_files_under_their_portals_schemes_criminal_categories(
    senior_client: Client,
) -> None:
    form = senior_client.get(ADD).context["upload_form"]
    assert [code for code, _ in form.fields["category"].choices] == ["A", "B", "C", "NPI"]


def test_the_pages_speak_arabic_right_to_left_and_keep_hashes_left_to_right(
    senior_client: Client, listed: None
) -> None:
    senior_client.post("/staff/language/", {"language": "ar"})
    text = page_text(senior_client.get(LIST))
    assert 'dir="rtl"' in text and "قائمة البصمات" in text
    assert f'<code class="hash" dir="ltr">{MD5}</code>' in text
    refused = senior_client.post(PASTE, {"hashes": "md5 0123", "category": "A"})
    assert "السطر 1: بصمة من نوع MD5 طولها 32 حرفًا ست عشريًا، لا 4." in page_text(refused)
    senior_client.post("/staff/language/", {"language": "fr"})
    assert "Liste d&#x27;empreintes" in page_text(senior_client.get(LIST))
