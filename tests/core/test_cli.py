"""The `hotline` console script as an operator uses it: a fresh SQLite database in a temp dir."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HOTLINE = Path(sys.executable).parent / "hotline"


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("var")
    migrate = run("migrate", "--no-input", var=path)
    assert migrate.returncode == 0, migrate.stderr
    return path


NO_NAMESERVER = "127.0.0.1:9"


def environment(var: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))}
    return {
        **clean,
        "HOTLINE_DEBUG": "1",
        "HOTLINE_VAR_DIR": str(var),
        # The worker a test starts captures the pages of new cases: their names must not
        # reach the system's resolver (nothing listens on port 9, so every lookup fails fast).
        "HOTLINE_DNS_NAMESERVERS": NO_NAMESERVER,
    }


def run(
    *args: str, var: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HOTLINE), *args],
        env=environment(var) if env is None else env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    *options: str, env: dict[str, str], capture: bool = False, own_session: bool = False
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """`hotline serve` with `options` on a free loopback port: (port, process), yielded once
    /healthz answers. Stopped afterwards, unless the test stopped it. `capture`: its output
    (stdout and stderr) is kept for `communicate()`; `own_session`: a process group of its own.
    """
    port = free_port()
    # Uncaptured output goes to a file, to be shown if the server never answers.
    with tempfile.TemporaryFile("w+") as log:
        server = subprocess.Popen(
            [str(HOTLINE), "serve", "--bind", f"127.0.0.1:{port}", *options],
            env=env,
            stdout=subprocess.PIPE if capture else log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=own_session,
        )

        def said() -> str:
            log.seek(0)
            return "" if capture else "; it said:\n" + log.read()[-3000:]

        try:
            deadline = time.monotonic() + 40
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        break
                except OSError:
                    assert server.poll() is None, "the server exited before it answered" + said()
                    assert time.monotonic() < deadline, "no answer within 40 s" + said()
                    time.sleep(0.3)
            yield port, server
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_console_script_is_installed_in_the_venv() -> None:
    assert HOTLINE.exists()


def test_loaddemo_prints_credentials_once_and_is_idempotent(var_dir: Path) -> None:
    first = run("loaddemo", var=var_dir)
    assert first.returncode == 0, first.stderr
    assert re.search(r"^Demo member API key: hlk_[0-9a-f]{12}_\S{20,}$", first.stdout, re.M)
    assert re.search(r"otpauth://totp/Hotline%3Ademo-analyst\?secret=[A-Z2-7]+", first.stdout)
    assert re.search(r"^  password: \S{12,}$", first.stdout, re.M)
    assert re.search(r"^URL list published: version \d+\.$", first.stdout, re.M)
    second = run("loaddemo", var=var_dir)
    assert second.returncode == 0
    assert "Demo member API key" not in second.stdout and "already exist" in second.stdout
    assert "URL list published" not in second.stdout, "nothing new to publish"
    verify = run("audit", "verify", var=var_dir)
    assert verify.returncode == 0 and "Audit chain intact" in verify.stdout


def test_loaddemo_warns_when_demo_accounts_would_be_refused(tmp_path: Path) -> None:
    env = {**environment(tmp_path), "HOTLINE_DEBUG": "0", "HOTLINE_SECRET_KEY": "k" * 60}
    run_ = run("migrate", "-v0", var=tmp_path, env=env)
    assert run_.returncode == 0, run_.stderr
    out = run("loaddemo", var=tmp_path, env=env)
    assert "HOTLINE_DEBUG is off: these demo accounts will be refused." in out.stdout


def test_serve_runs_web_and_worker_and_ctrl_c_stops_both(var_dir: Path) -> None:
    with serving("--workers", "1", env=environment(var_dir), capture=True) as (port, server):
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/hotline/hotline.css", timeout=5
        ) as css:
            assert css.status == 200  # the server serves its own static files
        # A malformed request makes gunicorn log a warning that would name the client.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            assert raw.recv(1024).startswith(b"HTTP/1.1 400")
        children = children_of(server.pid)
        assert len(children) == 2  # gunicorn master and the task worker
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "Hotline stopped." in output
    for pid in children:
        assert not Path(f"/proc/{pid}").exists(), f"child {pid} still running"
    served = output.split("Hotline on")[1]
    # The access log names no client: the address uvicorn writes there is withheld.
    assert '[withheld] - "GET /healthz HTTP/1.1" 200' in served
    assert "Invalid HTTP request received." in served  # the malformed one was logged...
    assert not re.search(r"127\.0\.0\.1:\d+ -", served)  # ...and no client address at all


def test_help_starts_with_hotlines_own_commands(var_dir: Path) -> None:
    result = run("--help", var=var_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2] == "Hotline's commands:"
    ours = [line.split()[0] for line in lines[3 : lines.index("", 3)]]
    assert {"portal", "serve", "staff", "worker", "member", "audit", "loaddemo"} <= set(ours)
    # Django's createsuperuser is replaced by one that points to `hotline staff add`.
    assert "createsuperuser" in ours
    assert "hotline help --commands" in result.stdout


def test_commands_in_a_second_terminal_use_the_demo_settings_of_make_run(tmp_path: Path) -> None:
    # `make run` writes var/hotline.env; a second terminal has no HOTLINE_DEBUG of its own.
    (tmp_path / "hotline.env").write_text("# a comment\nHOTLINE_DEBUG=1\n", encoding="utf-8")
    env = environment(tmp_path)
    del env["HOTLINE_DEBUG"]
    migrated = run("migrate", "--no-input", var=tmp_path, env=env)
    assert migrated.returncode == 0, migrated.stderr
    listed = run("portal", "list", var=tmp_path, env=env)
    assert listed.returncode == 0 and "No portals yet" in listed.stdout, listed.stderr
    (tmp_path / "hotline.env").unlink()
    refused = run("portal", "list", var=tmp_path, env=env)
    assert refused.returncode == 2 and "HOTLINE_SECRET_KEY is not set" in refused.stderr


def test_loaddemo_prints_the_address_serve_will_answer_on(var_dir: Path) -> None:
    env = {**environment(var_dir), "HOTLINE_BIND": "127.0.0.1:8123"}
    result = run("loaddemo", var=var_dir, env=env)
    assert result.returncode == 0, result.stderr
    assert "Portal tn: http://127.0.0.1:8123/tn/" in result.stdout


def test_launching_before_migrating_says_to_migrate(tmp_path: Path) -> None:
    result = run("portal", "launch", "portals/tn.toml", var=tmp_path)
    assert result.returncode == 1
    assert "run `hotline migrate` first" in result.stderr and "Traceback" not in result.stderr


def test_help_needs_no_configuration(tmp_path: Path) -> None:
    env = environment(tmp_path)
    del env["HOTLINE_DEBUG"]
    result = run("--help", var=tmp_path, env=env)
    assert result.returncode == 0 and "Hotline's commands:" in result.stdout, result.stderr
