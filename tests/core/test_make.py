"""`make run` on a machine without Python 3.12+ stops and says what to install."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_without_a_suitable_python_says_what_to_install(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(ROOT),
            f"VENV={tmp_path}/venv",
            "PYTHON=",
            "run",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Hotline needs Python 3.12 or newer" in result.stderr
    assert "apt-get install python3.13" in result.stderr
    assert not (tmp_path / "venv").exists()
