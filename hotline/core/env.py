"""Settings from environment variables, in the manner of healthchecks' envbool/envint.

A bad value raises ImproperlyConfigured naming the variable and what it accepts, so an operator
sees at start-up what to fix instead of a surprise later.
"""

from __future__ import annotations

import os
from datetime import time, timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a yes/no value: use one of 1, true, yes, on, 0, false, no, off."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return os.environ.get(name, default)


def parse_times_of_day(name: str, raw: str) -> tuple[time, ...]:
    """Times of day "HH:MM,HH:MM" (24-hour), sorted; ImproperlyConfigured naming `name`."""
    times = []
    for part in raw.split(","):
        try:
            times.append(time.fromisoformat(part.strip()))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}={raw!r} is not a list of times of day: use 24-hour HH:MM separated by "
                'commas, e.g. "06:00,18:00".'
            ) from None
    if not times:
        raise ImproperlyConfigured(f"{name} is empty: give at least one time, e.g. 06:00.")
    return tuple(sorted(set(times)))


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_durations(name: str, default: str) -> tuple[timedelta, ...]:
    """Growing durations "1h,6h,24h" (units s, m, h, d); ImproperlyConfigured naming `name`."""
    raw = os.environ.get(name) or default
    durations = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        number, unit = part[:-1], part[-1:]
        if unit not in DURATION_UNITS or not number.isdigit() or int(number) == 0:
            raise ImproperlyConfigured(
                f"{name}={raw!r}: {part!r} is not a duration like 90m, 6h or 2d "
                "(a whole number and one of s, m, h, d)."
            )
        durations.append(timedelta(seconds=int(number) * DURATION_UNITS[unit]))
    if not durations:
        raise ImproperlyConfigured(f"{name} is empty: give durations like 1h,6h,24h.")
    if durations != sorted(durations) or len(set(durations)) != len(durations):
        raise ImproperlyConfigured(f"{name}={raw!r}: each duration must be longer than the last.")
    return tuple(durations)
