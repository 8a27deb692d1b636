"""The `hotline` command: Django's manage.py under the project's name, Hotline's commands first.

`hotline serve`, `hotline worker`, `hotline portal launch FILE.toml`, `hotline staff add`, ...
and every Django command (`hotline migrate`, `hotline check`); `hotline createsuperuser` points
to `hotline staff add NAME --superuser`, which is audited and enrols an authenticator.

`make run` writes `var/hotline.env` (HOTLINE_DEBUG=1 for the local demo), and this command reads
it for any variable the environment does not set, so that `hotline staff list` in a second
terminal talks to the same demo as `make run` in the first. A production host has no such file
(its variables come from the service manager); see README.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

LOCAL_ENV_FILE = "hotline.env"


def local_env_path() -> Path:
    var = os.environ.get("HOTLINE_VAR_DIR") or str(Path(__file__).resolve().parent.parent / "var")
    return Path(var) / LOCAL_ENV_FILE


# The only variables the local file may set: it makes a demo, never configures a server.
LOCAL_ENV_NAMES = frozenset({"HOTLINE_DEBUG"})


def load_local_env(path: Path) -> None:
    """Set the local demo's variables from `path` where the environment does not set them.

    Says so on stderr every time, so that a file left on a server by mistake is noticed at the
    first command (and `hotline serve` refuses to listen beyond loopback while DEBUG is on).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    applied = []
    for line in lines:
        name, sep, value = line.strip().partition("=")
        name = name.strip()
        if sep and name in LOCAL_ENV_NAMES and name not in os.environ:
            os.environ[name] = value.strip()
            applied.append(f"{name}={value.strip()}")
    if applied:
        sys.stderr.write(f"hotline: local demo settings from {path}: {', '.join(applied)}\n")


def print_help() -> None:
    """Hotline's own commands, then where Django's are."""
    from django.core.management import get_commands, load_command_class

    ours = sorted(name for name, app in get_commands().items() if app.startswith("hotline."))
    print("Usage: hotline <command> [options]   (hotline <command> --help for its options)\n")
    print("Hotline's commands:")
    for name in ours:
        command = load_command_class(get_commands()[name], name)
        print(f"  {name:<12} {command.help.splitlines()[0] if command.help else ''}")
    print(
        "\nDjango's commands also work (migrate, check --deploy, shell, ...); for an admin"
        "\naccount use `hotline staff add NAME --superuser` (createsuperuser points there):"
        "\n  hotline help --commands   lists them all"
    )


def main() -> None:
    load_local_env(local_env_path())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        if sys.argv[1:] in ([], ["help"], ["--help"], ["-h"]):
            import django

            # Listing the commands needs no configuration: settings only have to load.
            os.environ.setdefault("HOTLINE_SECRET_KEY", "help-only-" + "x" * 50)

            django.setup()
            print_help()
            return
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake is the operator's to fix: say what, without a traceback.
        sys.stderr.write(f"hotline: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
