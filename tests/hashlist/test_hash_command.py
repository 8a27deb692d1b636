"""`hotline hash PATH...` (hotline/hashlist/management/commands/hash.py), on generated images."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from hotline.hashlist.signals import hash_image
from tests.world.web import scene, shapes, shapes_image, text

HOTLINE = Path(sys.executable).parent / "hotline"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def hash_command(*args: str, stderr: io.StringIO | None = None) -> list[dict[str, Any]]:
    out = io.StringIO()
    call_command("hash", *args, stdout=out, stderr=stderr or io.StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "b").mkdir()
    (tmp_path / "a.png").write_bytes(shapes(1))
    (tmp_path / "b" / "c.jpg").write_bytes(shapes(2, "JPEG", quality=80))
    (tmp_path / "b" / "d.png").write_bytes(text("hash me"))
    return tmp_path


def test_folders_are_walked_and_each_image_gives_one_line_equal_to_hash_image(folder, tmp_path):
    lone = tmp_path.parent / f"{tmp_path.name}-lone.jpg"
    lone.write_bytes(scene(3, (1600, 1200)))

    lines = hash_command(str(folder), str(lone), "--workers", "2")

    expected = [folder / "a.png", folder / "b" / "c.jpg", folder / "b" / "d.png", lone]
    assert [line["path"] for line in lines] == [str(path) for path in expected]
    for line, path in zip(lines, expected, strict=True):
        assert line == {"path": str(path), **asdict(hash_image(path.read_bytes(), fast=True))}
    assert lines[-1]["pdq_exact"] is False  # large enough for the fast path
    assert set(lines[0]) == {
        "path", "md5", "sha1", "sha256", "pdq", "pdq_quality", "pdq_exact", "width", "height",
    }  # fmt: skip


def test_exact_gives_the_hash_list_s_own_pdq(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(scene(4, (1600, 1200)))

    [line] = hash_command(str(photo), "--exact")

    assert line["pdq_exact"] is True
    assert line["pdq"] == hash_image(photo.read_bytes()).pdq


def test_a_file_that_is_not_an_image_gets_its_error_line_and_the_rest_are_hashed(folder):
    (folder / "b" / "notes.txt").write_text("not an image")
    (folder / "b" / "cut.png").write_bytes(shapes(5)[:300])
    out = io.StringIO()

    with pytest.raises(CommandError, match="2 of 5 files were not hashed") as raised:
        call_command("hash", str(folder), stdout=out, stderr=io.StringIO())

    assert raised.value.returncode == 1
    lines = {Path(line["path"]).name: line for line in map(json.loads, out.getvalue().splitlines())}
    assert set(lines) == {"a.png", "c.jpg", "cut.png", "d.png", "notes.txt"}
    assert lines["notes.txt"] == {
        "path": str(folder / "b" / "notes.txt"),
        "error": "the data is not in an image format this system can decode",
    }
    assert "damaged or cut short" in lines["cut.png"]["error"]
    assert "pdq" in lines["d.png"]


def test_a_path_that_does_not_exist_gets_its_error_line(tmp_path):
    with pytest.raises(CommandError):
        call_command("hash", str(tmp_path / "gone.jpg"), stdout=(out := io.StringIO()))

    [line] = map(json.loads, out.getvalue().splitlines())
    assert "no such file" in line["error"].lower()


def test_an_exif_rotated_file_is_hashed_upright(tmp_path):
    upright = shapes_image(6)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "sideways.png", exif=exif)
    upright.save(tmp_path / "upright.png")

    sideways, straight = hash_command(str(tmp_path / "sideways.png"), str(tmp_path / "upright.png"))

    assert sideways["pdq"] == straight["pdq"]
    assert (sideways["width"], sideways["height"]) == (320, 240)


def test_one_worker_and_two_print_the_same_lines(folder):
    one, two = (
        hash_command(str(folder), "--workers", "1"),
        hash_command(str(folder), "--workers", "2"),
    )

    assert one == two


def test_a_progress_bar_is_drawn_on_a_terminal_and_nothing_otherwise(folder):
    terminal, pipe = Terminal(), io.StringIO()

    hash_command(str(folder), stderr=terminal)
    hash_command(str(folder), stderr=pipe)

    assert "3/3 files" in terminal.getvalue() and "\r[" in terminal.getvalue()
    assert pipe.getvalue() == ""


def command_line(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))}
    return subprocess.run(
        [str(HOTLINE), "hash", *args],
        env={**clean, "HOTLINE_SECRET_KEY": "tests-only-" + "k" * 50},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_exit_status_is_0_when_all_are_hashed_and_1_when_some_are_not(folder):
    hashed = command_line(str(folder))
    (folder / "notes.txt").write_text("not an image")
    some_not = command_line(str(folder))

    assert hashed.returncode == 0, hashed.stderr
    assert hashed.stderr == ""  # not a terminal: no progress bar
    assert len(hashed.stdout.splitlines()) == 3
    assert some_not.returncode == 1
    assert "1 of 4 files were not hashed" in some_not.stderr
    assert len(some_not.stdout.splitlines()) == 4
