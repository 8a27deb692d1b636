"""`hotline serve`: the web server (gunicorn, serving its own static files) and the task worker.

Both run as child processes; Ctrl-C or SIGTERM stops both, and if either dies the other is
stopped too, so a supervisor (systemd, Kubernetes) sees one failure and restarts the pair.
For scale, run `hotline serve --no-worker` on web hosts and `hotline worker` on worker hosts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hotline.core.env import env_int, env_str
from hotline.core.processes import stop_with_parent


def set_session_niceness(niceness: int) -> None:
    """Give this process's session the niceness too, where Linux schedules sessions as groups.

    With autogroup scheduling (Linux's default on desktops and many servers), the CPU is
    shared fairly between sessions first, and a process's own niceness counts only against
    the processes of its session. The worker has a session of its own (`_start`), so its
    niceness alone changed nothing: under a flood of reports it took a quarter of the
    benchmark machine's two cores from the web processes (docs/benchmarks.md). Where there is no
    autogroup (another OS, a kernel without it, or a systemd unit's cgroup instead), there is
    nothing to set, and the CPU weight is the service manager's to give.
    """
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(niceness))
    except OSError:
        pass


def _start(argv: list[str], *, niceness: int = 0) -> subprocess.Popen[bytes]:
    def prepare() -> None:
        stop_with_parent()  # if `hotline serve` itself is killed outright
        if niceness:
            os.nice(niceness)
            set_session_niceness(niceness)

    # Own session: a terminal's Ctrl-C reaches only `hotline serve`, which then stops each child
    # once, gracefully (a second signal would make the task worker abandon its task).
    return subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        argv, env=os.environ.copy(), start_new_session=True, preexec_fn=prepare
    )


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Command(BaseCommand):
    help = "Serve Hotline with gunicorn and run the task worker beside it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--bind", default=env_str("HOTLINE_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=env_int("HOTLINE_WEB_WORKERS", 2))
        parser.add_argument(
            "--no-worker", action="store_true", help="serve only; run `hotline worker` elsewhere"
        )
        parser.add_argument(
            "--worker-nice",
            type=int,
            choices=range(20),
            default=env_int("HOTLINE_WORKER_NICENESS", 19),
            metavar="0-19",
            help="the worker's niceness beside the web server (default 19; 0: equal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host = options["bind"].rpartition(":")[0].strip("[]")
        if settings.DEBUG and host not in LOOPBACK:
            # Debug pages show settings and code; demo accounts sign in. Never to a network.
            raise CommandError(
                f"HOTLINE_DEBUG is on, so Hotline serves only on this machine (127.0.0.1), not "
                f"on {options['bind']}. Unset HOTLINE_DEBUG (and delete var/hotline.env, which "
                "`make run` writes) to serve on a network."
            )
        if not settings.DEBUG or not settings.WHITENOISE_USE_FINDERS:
            call_command("collectstatic", interactive=False, verbosity=0)
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "hotline.asgi:application",
            # Event-loop workers: slow or stalled clients cannot hold a worker (asgi_worker.py).
            "--worker-class", "hotline.core.asgi_worker.HotlineWorker",
            "--bind", options["bind"],
            "--workers", str(options["workers"]),
            "--graceful-timeout", "10",
            "--access-logfile", "-",
            # Every line either log writes passes a filter that withholds client addresses:
            # reporters' IPs are never recorded.
            "--logger-class", "hotline.core.serverlog.PrivateLogger",
        ]  # fmt: skip
        children = [_start(web)]
        if not options["no_worker"]:
            # Beside the web server on one host, the worker yields the CPU to requests: what
            # it does (attaching reports to cases, sealing the audit log, re-checks) is
            # committed work that can wait a moment, a person at the report form cannot. With
            # spare CPU it runs at full speed; under a flood it catches up afterwards.
            children.append(
                _start([python, "-m", "hotline.cli", "worker"], niceness=options["worker_nice"])
            )
        self.stdout.write(f"Hotline on http://{options['bind']}/ (Ctrl-C to stop)")

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for child in children:
                code = child.poll()
                if code is not None:
                    name = "web server" if child is children[0] else "task worker"
                    self.stderr.write(f"The {name} exited with {code}; stopping the rest.")
                    stopping, exit_code = True, code or 1
            time.sleep(0.2)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Hotline stopped.")
        if exit_code:
            sys.exit(exit_code)
