"""Per-portal options, declared once with their defaults (GlobaLeaks-style).

A portal stores only the options its launch file (or an administrator) sets; `Portal.option()`
falls back to the default here. A later capability adds its option as one row of this table,
with the parser that checks a value and says what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class OptionError(ValueError):
    """A value that an option does not accept; the message says what it accepts."""


@dataclass(frozen=True)
class PortalOption:
    key: str
    default: Any
    parse: Callable[[Any], Any]
    help: str


def _relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of white text on `colour` (#rrggbb)."""
    return 1.05 / (_relative_luminance(colour) + 0.05)


def brand_colour(value: Any) -> str:
    """A #rrggbb colour dark enough for white text (WCAG AA, 4.5:1): buttons and the header
    carry white text on it, and a portal must stay readable whatever its flag's colours."""
    if not isinstance(value, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", value.strip()):
        raise OptionError(f"{value!r} is not a colour like '#0b5cad'")
    colour = value.strip().lower()
    ratio = contrast_with_white(colour)
    if ratio < 4.5:
        raise OptionError(
            f"white text on {colour} has a contrast of {ratio:.2f}:1; WCAG AA needs 4.5:1, "
            "so choose a darker shade"
        )
    return colour


def web_address(value: Any) -> str:
    if (
        not isinstance(value, str)
        or urlsplit(value).scheme != "https"
        or not urlsplit(value).netloc
    ):
        raise OptionError(f"{value!r} is not an https:// address")
    return value


def per_hour(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise OptionError(f"{value!r} is not a whole number from 1 to 1000000")
    return value


OPTIONS: tuple[PortalOption, ...] = (
    PortalOption(
        key="primary_colour",
        default="#0b5cad",
        parse=brand_colour,
        help="The portal's colour: header, buttons, flyer. White text on it must read (4.5:1).",
    ),
    PortalOption(
        key="international_reporting_url",
        default="https://report.iwf.org.uk/",
        parse=web_address,
        help="Where a suspended portal sends people to report instead.",
    ),
    PortalOption(
        key="reports_per_client_per_hour",
        default=20,
        parse=per_hour,
        help="Reports one connection may send to this portal in an hour (counted unlinkably).",
    ),
    PortalOption(
        key="reports_per_portal_per_hour",
        default=5000,
        parse=per_hour,
        help="Reports without a verified proof of work (JavaScript off, or junk) the whole "
        "portal accepts in an hour before asking their senders to wait.",
    ),
)

PORTAL_OPTIONS: dict[str, PortalOption] = {option.key: option for option in OPTIONS}
