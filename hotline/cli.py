"""The `hotline` command: Django's manage.py under the project's name.

`hotline migrate`, `hotline loaddemo`, `hotline serve`, `hotline worker`, `hotline audit verify`,
`hotline launchportal FILE.toml`, and every other management command.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake is the operator's to fix: say what, without a traceback.
        sys.stderr.write(f"hotline: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
