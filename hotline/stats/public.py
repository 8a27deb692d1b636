"""What the public figures page may say: a portal's monthly figures, with small counts hidden.

Anyone can read `/<portal>/<lang>/figures/`, so nothing on it may let a reader work out that
one particular report was made, or what became of it. `published` and `published_total` are
the one place that decides which counts are shown and which are hidden; `public_figures`
builds the page's table from `figures.timeline` (the rollups: counts only, never the cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from django.utils.translation import gettext

from hotline.portals.models import Portal
from hotline.stats.figures import Figures, Period, launch_day, timeline

# The columns of the page: (attribute of `Figures`), in the order shown.
COLUMNS = ("reports", "confirmed", "removed")


def published(count: int, threshold: int) -> int | None:
    """`count` as the public may see it: itself when it is `threshold` or more, else None
    (the page says "fewer than <threshold>").

    Zero is hidden like any other count under the threshold. "Fewer than 5" must mean
    "0 to 4": were 0 shown as "0", it would mean "1 to 4", so every hidden month would say
    that something was reported (or confirmed, or taken down) in it, and a reader who knows
    of one report that month would learn what became of it. Hidden alike, whatever they are,
    small counts say nothing but "small".
    """
    return count if count >= threshold else None


@dataclass(frozen=True)
class Total:
    """A column's total as published: `exact` (all its months shown), `at_least` (a lower
    bound that the shown months already give), or neither ("fewer than <threshold>")."""

    exact: int | None = None
    at_least: int | None = None


def published_total(counts: Sequence[int], threshold: int) -> Total:
    """The total of a column of monthly `counts` as the public may see it.

    Under the threshold it is hidden, like a month. Above it, it is exact only when every
    month of the column is shown: otherwise the total minus the months shown would give the
    hidden months' sum, and with one month hidden, that month's exact count, which hiding it
    was meant to keep back. The page then gives the total as "N or more", N being the sum of
    the months shown (which anyone can add up from the page) or the threshold itself when no
    month is shown: a bound that tells a reader nothing the months do not already tell them,
    except that the total reached the threshold.
    """
    total = sum(counts)
    if published(total, threshold) is None:
        return Total()
    shown = [count for count in counts if published(count, threshold) is not None]
    if len(shown) == len(counts):
        return Total(exact=total)
    return Total(at_least=max(sum(shown), threshold))


@dataclass(frozen=True)
class Row:
    label: str  # the month (or "Since launch, to the end of <month>"), in the page's language
    cells: tuple[str, ...]  # one per column of COLUMNS, in the page's language


@dataclass(frozen=True)
class PublicFigures:
    """The page's content: nothing (`launched` is None: not launched yet), or the months since
    launch that have ended, newest first (none in the launch month), their totals, and when
    the month under way will be published (`next_publication`, in the page's language)."""

    threshold: int
    launched: date | None = None
    months: tuple[Row, ...] = ()
    total: Row | None = None
    next_publication: str = ""


def _number(count: int, language: str) -> str:
    return format_decimal(count, locale=language)


def _fewer_than(threshold: int, language: str) -> str:
    return gettext("fewer than %(count)s") % {"count": _number(threshold, language)}


def _cell(count: int, threshold: int, language: str) -> str:
    shown = published(count, threshold)
    return _fewer_than(threshold, language) if shown is None else _number(shown, language)


def _total_cell(counts: Sequence[int], threshold: int, language: str) -> str:
    total = published_total(counts, threshold)
    if total.exact is not None:
        return _number(total.exact, language)
    if total.at_least is not None:
        return gettext("%(count)s or more") % {"count": _number(total.at_least, language)}
    return _fewer_than(threshold, language)


def first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=31)).replace(day=1)


def public_figures(*, portal: Portal, language: str, threshold: int, today: date) -> PublicFigures:
    """`portal`'s monthly figures from its launch day to the end of the last month that has
    ended by `today` (UTC), newest first, as the public may see them in `language` (the active
    translation gives the words, Babel the month names, dates and number formats). Empty for
    a portal not launched yet (a draft previewed by staff, or a launch day still to come).
    Months without a figure are shown, hidden like any small count.

    The month under way is never shown: were it counted live, once past the threshold each new
    report would show on the page a moment after it was filed, and someone who reloads the page
    and sees a person's traffic to the portal could tell a visit from a report. A month is
    published whole, on the first day of the next (docs/figures.md, "The public page")."""
    if portal.launched_at is None or launch_day(portal) > today:
        return PublicFigures(threshold=threshold)
    start = launch_day(portal)
    this_month = today.replace(day=1)
    next_publication = gettext(
        "The figures of %(month)s will be published here when the month ends, on %(date)s."
    ) % {
        "month": _month_name(this_month, language),
        "date": format_date(first_of_next_month(today), format="long", locale=language),
    }
    if start >= this_month:  # launched this month: nothing has ended yet
        return PublicFigures(threshold=threshold, launched=start, next_publication=next_publication)
    months: list[Figures] = timeline(
        portal=portal, period=Period.MONTH, start=start, end=this_month
    )
    rows = tuple(
        Row(
            label=_month_name(month.start, language),
            cells=tuple(_cell(getattr(month, c), threshold, language) for c in COLUMNS),
        )
        for month in reversed(months)
    )
    total = Row(
        label=gettext("Since launch, to the end of %(month)s")
        % {"month": _month_name(months[-1].start, language)},
        cells=tuple(
            _total_cell([getattr(month, c) for month in months], threshold, language)
            for c in COLUMNS
        ),
    )
    return PublicFigures(
        threshold=threshold,
        launched=start,
        months=rows,
        total=total,
        next_publication=next_publication,
    )


def _month_name(first: date, language: str) -> str:
    return format_skeleton("yMMMM", first, locale=language)


def launch_date_text(day: date, language: str) -> str:
    """The launch day as the page's language writes a date in full."""
    return format_date(day, format="long", locale=language)
