"""Settings come from the environment, safe by default, and say what is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.core.env import env_bool, env_int, env_list, env_secret, parse_times_of_day
from tests.core.test_cli import environment, run

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "hotline.cli", *args],
        env={**clean, "DJANGO_SETTINGS_MODULE": "hotline.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_env_bool_names_the_variable_on_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_X='maybe' is not a yes/no value"):
        env_bool("HOTLINE_X", default=False)
    monkeypatch.setenv("HOTLINE_X", "Yes")
    assert env_bool("HOTLINE_X", default=False) is True


def test_env_int_and_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("HOTLINE_N", 1)
    monkeypatch.setenv("HOTLINE_L", "a.example, b.example,")
    assert env_list("HOTLINE_L", []) == ["a.example", "b.example"]


def test_times_of_day_are_sorted_and_a_bad_one_names_the_variable() -> None:
    assert parse_times_of_day("HOTLINE_T", "18:00, 06:00") == (time(6), time(18))
    for bad in ("6pm", "06:00,25:00", ""):
        with pytest.raises(ImproperlyConfigured, match="HOTLINE_T"):
            parse_times_of_day("HOTLINE_T", bad)


def test_secret_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("HOTLINE_K_FILE", str(secret))
    assert env_secret("HOTLINE_K") == "s3cret"


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = run_manage("check", env={"HOTLINE_VAR_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "HOTLINE_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_deploy_check_is_clean_with_production_variables(tmp_path: Path) -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "HOTLINE_SECRET_KEY": "x7" * 30 + "production-like-secret-key",
            "HOTLINE_ALLOWED_HOSTS": "portal.example",
            "HOTLINE_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_debug_is_off_by_default() -> None:
    from django.conf import settings

    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_HTTPONLY and settings.X_FRAME_OPTIONS == "DENY"


def test_production_hashes_passwords_with_argon2_at_its_full_cost() -> None:
    # The suite runs a cheaper Argon2 first (tests/hashers.py); production must not.
    import hotline.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_pages_carry_a_strict_content_security_policy(client: object, db: None) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy  # nothing allowed from other sites


def test_every_model_change_has_its_migration(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    # --check exits non-zero (SystemExit) when a model has changed without a migration.
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_cache_url_that_is_not_redis_is_refused_with_the_accepted_forms(tmp_path: Path) -> None:
    result = run_manage(
        "check",
        env={
            "HOTLINE_DEBUG": "1",
            "HOTLINE_VAR_DIR": str(tmp_path),
            "HOTLINE_CACHE_URL": "memcached://x",
        },
    )
    assert result.returncode == 2
    assert "HOTLINE_CACHE_URL='memcached://x' is not understood; use redis://" in result.stderr


def test_a_mail_server_needs_a_sender_and_one_kind_of_tls(tmp_path: Path) -> None:
    mail = {"HOTLINE_EMAIL_HOST": "smtp.report.example", "HOTLINE_VAR_DIR": str(tmp_path)}
    production = {
        "HOTLINE_SECRET_KEY": "x7" * 30 + "production-like-secret-key",
        "HOTLINE_ALLOWED_HOSTS": "portal.example",
    }
    result = run_manage("check", env={**production, **mail})
    assert result.returncode == 2
    assert "HOTLINE_EMAIL_FROM='' is not an e-mail address" in result.stderr
    mail["HOTLINE_EMAIL_FROM"] = "no-reply@report.example"
    result = run_manage(
        "check", env={**production, **mail, "HOTLINE_EMAIL_SSL": "1", "HOTLINE_EMAIL_TLS": "1"}
    )
    assert result.returncode == 2 and "exclude each other: set only one" in result.stderr
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env={**production, **mail})
    assert result.returncode == 0, result.stderr + result.stdout


def test_a_django_log_line_is_written_once_in_debug(tmp_path: Path) -> None:
    # Django's own console handler (on with DEBUG) printed each django.* line a second time.
    line = "import logging; logging.getLogger('django.tasks').warning('written once')"
    done = run("shell", "-c", line, var=tmp_path, env=environment(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).count("written once") == 1, done.stderr
    assert "WARNING django.tasks written once" in done.stderr
