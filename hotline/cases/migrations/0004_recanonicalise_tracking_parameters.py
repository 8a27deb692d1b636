"""Cases and URL list entries stored under the canonical form from before tracking parameters
(utm_*, fbclid, ...) and empty query pieces were removed, brought to the new form.

Without this, a case for "/p?utm_source=a" would never be found again: every new report of that
page canonicalises to "/p", opens a second case, and an analyst assesses again what is already
confirmed. Only an address with a query can change (the other new fold, a trailing ideographic
dot, was refused before), so only those rows are read.

A row is rewritten only where that makes no collision. If the new form already belongs to
another case, or two old cases now share one new form, all of them are left as they are (a
case cannot merge into another here: each has its own reports, assessments and audit trail)
and their ids are logged for an analyst to look at. URL list entries follow the same rule
among the active entries. A rewritten entry is not edited in place: what was published stays
as it was published. The old entry is retired and a new one with the new form added, in one
new list version, so members polling by version see the change. Each rewrite is audited.
Nothing is undone on the way back: the earlier code reads the new forms as they are.

It calls the live canonicaliser on purpose: on a database from any older release it brings the
rows to the form that every lookup from now on uses. Run it, as every migration, before the new
processes start (README): a report filed by the new code while it runs could take a new form
first, and the unique index would then stop the migration, leaving the database unchanged.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

from hotline.audit.chain import entry_mac
from hotline.core.canonical import NotAWebAddress, canonicalise_url
from hotline.core.hashing import url_digest

logger = logging.getLogger("hotline.cases")

MIGRATION = "cases.0004"
# The removal reason of an entry replaced by its new form: its content is not gone (the reasons
# of remove_from_url_list are the outcome sources), it is listed on under another spelling.
REPLACED = "canonical_form"


def _new_forms(what: str, rows: Iterable[tuple[int, str]]) -> dict[int, tuple[str, str]]:
    """{pk: (new form, its digest)} for the rows whose canonical form has changed."""
    changed = {}
    for pk, url in rows:
        try:
            new = canonicalise_url(url)
        except NotAWebAddress:
            logger.warning("%s: %s %s is no web address now; left as it is", MIGRATION, what, pk)
            continue
        if new != url:
            changed[pk] = (new, url_digest(new))
    return changed


def _chunks[T](items: list[T], size: int = 500) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _without_collisions(
    changed: dict[int, tuple[str, str]], holders: dict[str, int]
) -> tuple[dict[int, tuple[str, str]], list[list[int]]]:
    """The changes that collide with nothing, and the groups of ids left as they are (a holder
    of the new form first, then the rows that would have taken it)."""
    by_digest: dict[str, list[int]] = defaultdict(list)
    for pk, (_, digest) in changed.items():
        by_digest[digest].append(pk)
    safe, left = {}, []
    for digest, pks in by_digest.items():
        holder = holders.get(digest)
        if holder is None and len(pks) == 1:
            safe[pks[0]] = changed[pks[0]]
        else:
            left.append(([holder] if holder is not None else []) + sorted(pks))
    return safe, left


def _audit(apps: Any, alias: str, **fields: Any) -> None:
    # record_event, with the historical model: the event carries its MAC and waits, unsealed,
    # for the sequencer, exactly as one written by an action does.
    event_model = apps.get_model("audit", "AuditEvent")
    fields = {"occurred_at": timezone.now(), "actor": "system", **fields}
    event_model.objects.using(alias).create(entry_mac=entry_mac(**fields), **fields)


def _holders(rows: Any, digests: Iterable[str]) -> dict[str, int]:
    """{digest: pk} of the rows in `rows` that already hold one of `digests`."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(digests))):
        found.update(rows.filter(url_sha256__in=chunk).values_list("url_sha256", "pk"))
    return found


def _portals(cases: Any, pks: Iterable[int]) -> dict[int, str]:
    """{case pk: its portal's code}, for the audit events."""
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(set(pks))):
        found.update(cases.filter(pk__in=chunk).values_list("pk", "portal__code"))
    return found


def recanonicalise(apps: Any, schema_editor: Any) -> None:
    alias = schema_editor.connection.alias
    cases = apps.get_model("cases", "Case").objects.using(alias)
    entries = apps.get_model("urllist", "UrlListEntry").objects.using(alias)
    versions = apps.get_model("urllist", "UrlListVersion").objects.using(alias)

    # Cases. A row that holds a new form is itself in the new form (the new form has no
    # tracking parameter), so the holders looked up here are not changing.
    case_changes = _new_forms(
        "case",
        cases.filter(canonical_url__contains="?").values_list("pk", "canonical_url").iterator(2000),
    )
    cases_to_rewrite, cases_left = _without_collisions(
        case_changes, _holders(cases, (digest for _, digest in case_changes.values()))
    )
    portal_of_case = _portals(cases, cases_to_rewrite)
    for pk, (new, digest) in sorted(cases_to_rewrite.items()):
        cases.filter(pk=pk).update(canonical_url=new, url_sha256=digest)
        _audit(
            apps,
            alias,
            action="cases.case_recanonicalised",
            target_type="cases.case",
            target_id=str(pk),
            portal=portal_of_case[pk],
            data={"migration": MIGRATION},
        )
    for group in cases_left:
        logger.warning(
            "%s: cases %s now share one canonical URL; left in their old forms for an analyst",
            MIGRATION,
            ", ".join(map(str, group)),
        )

    # Active URL list entries, under the same rule.
    active = entries.filter(removed_at__isnull=True)
    entry_changes = _new_forms(
        "URL list entry", active.filter(url__contains="?").values_list("pk", "url").iterator(2000)
    )
    entries_to_replace, entries_left = _without_collisions(
        entry_changes, _holders(active, (digest for _, digest in entry_changes.values()))
    )
    if entries_to_replace:
        number = (versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = versions.create(
            number=number, added=len(entries_to_replace), removed=len(entries_to_replace)
        )
        now = timezone.now()
        olds = list(entries.filter(pk__in=list(entries_to_replace)).order_by("pk"))
        portal_of_case = _portals(cases, (old.case_id for old in olds if old.case_id))
        for old in olds:
            new, digest = entries_to_replace[old.pk]
            old.removed_at, old.removed_in, old.removal_reason = now, version, REPLACED
            old.save(update_fields=["removed_at", "removed_in", "removal_reason"])
            entry = entries.create(
                url=new,
                url_sha256=digest,
                category=old.category,
                case_id=old.case_id,
                added_in=version,
            )
            _audit(
                apps,
                alias,
                action="urllist.entry_recanonicalised",
                target_type="urllist.urllistentry",
                target_id=str(entry.pk),
                portal=portal_of_case.get(old.case_id, ""),
                data={
                    "migration": MIGRATION,
                    "replaces": old.pk,
                    "version": number,
                    "category": old.category,
                },
            )
    for group in entries_left:
        logger.warning(
            "%s: URL list entries %s now share one canonical URL; left in their old forms",
            MIGRATION,
            ", ".join(map(str, group)),
        )
    if case_changes or entry_changes:
        logger.info(
            "%s: %s cases and %s URL list entries brought to the new canonical form; "
            "%s cases and %s entries left in the old one",
            MIGRATION,
            len(cases_to_rewrite),
            len(entries_to_replace),
            len(case_changes) - len(cases_to_rewrite),
            len(entry_changes) - len(entries_to_replace),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_case_states_and_priority"),
        ("urllist", "0002_category_codes_and_removal"),
        ("audit", "0005_unlocked_appends"),
    ]
    # The URL list's change log is rebuilt from the entries after this has rewritten them.
    run_before = [("urllist", "0005_change_log_from_history")]

    operations = [
        migrations.RunPython(recanonicalise, migrations.RunPython.noop),
    ]
