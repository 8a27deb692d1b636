"""The figures follow what the lower layers announce, in the same transaction (apps.py
connects these). Each receiver is one query at most for the facts and one upsert."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.dispatch import receiver

from hotline.cases.signals import ResultChange, case_results_changed
from hotline.intake.signals import AttachedItem, reports_attached
from hotline.stats import rollup
from hotline.takedown.signals import Removal, removal_changed


@receiver(reports_attached)
def count_attached_items(sender: Any, *, items: Sequence[AttachedItem], **kwargs: Any) -> None:
    """Reports, URLs and known content, for a batch of items that reached their cases."""
    rollup.add(Counter(key for item in items for key in rollup.item_keys(item)))


@receiver(case_results_changed)
def count_results(sender: Any, *, changes: Sequence[ResultChange], **kwargs: Any) -> None:
    """Move each case's result from where it counted to where it counts now."""
    rollup.add(rollup.result_deltas([(change.before, change.after) for change in changes]))


@receiver(removal_changed)
def count_removals(
    sender: Any, *, before: Removal | None, after: Removal | None, **kwargs: Any
) -> None:
    """A takedown removed, or no longer removed (back again, confirmed again, withdrawn)."""
    deltas: Counter[rollup.Key] = Counter()
    if before is not None:
        deltas.subtract(rollup.removal_keys(before))
    if after is not None:
        deltas.update(rollup.removal_keys(after))
    rollup.add(deltas)
