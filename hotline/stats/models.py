"""The figures, kept as counts per portal, day, metric and key (docs/figures.md).

Counts only: no URL, hash, description, reference or case id is ever stored here, so a table
that partners' dashboards read cannot lead back to any content.
"""

from __future__ import annotations

from django.db import models


class DailyFigure(models.Model):
    """How many of one thing (`metric`, with its `key`: a category, an age group, a duration
    bucket ...) one portal had on one day (UTC). Changed only by the one upsert of
    stats/rollup.py, which adds a delta, and by `hotline stats rebuild`."""

    # No index of its own: the unique index below starts with the portal, and a second index
    # on the portal alone tempted PostgreSQL's planner into reading a portal's every row for
    # one month's figures (11 ms instead of 2.4 ms at a million cases).
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    metric = models.CharField(max_length=16)
    key = models.CharField(max_length=32, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            # The upsert's conflict target; also the index every period's query reads
            # (portal, then a range of days).
            models.UniqueConstraint(
                fields=["portal", "day", "metric", "key"], name="one_figure_per_day_metric_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.portal_id} {self.day} {self.metric}[{self.key}] = {self.count}"


class MonthlyReportSent(models.Model):
    """A portal's monthly report e-mailed to its partner contacts (hotline/stats/actions.py
    `send_monthly_report`): one row per portal and month, so a retry or a second worker never
    sends it twice. `claimed_at` is set while a run sends it (taken over once CLAIM_EXPIRES
    old), `sent_at` once sent; a failed send clears the claim, to be tried again the next day,
    for the contacts not in `delivered_to` (reached) or `refused_to` (address refused by the
    mail server): staff user ids, never an address."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    delivered_to = models.JSONField(default=list, blank=True)
    refused_to = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["portal", "month"], name="one_monthly_report")
        ]

    def __str__(self) -> str:
        return f"{self.portal_id} {self.month:%Y-%m}: {'sent' if self.sent_at else 'not sent'}"
