"""Which classification scheme a portal assesses under, and the default scheme's outcomes."""

from __future__ import annotations

from typing import NamedTuple

from django.db import transaction
from django.utils.translation import gettext_noop

from hotline.assessment.models import ClassificationScheme, PortalScheme, SchemeOutcome
from hotline.core.classification import OutcomeKind
from hotline.portals.models import Portal


class DefaultOutcome(NamedTuple):
    code: str
    label: str
    kind: OutcomeKind
    key: str


DEFAULT_SCHEME_SLUG = "uk-sentencing-council"
DEFAULT_SCHEME_NAME = "UK Sentencing Council categories"
DEFAULT_SCHEME_LAW = (
    "Sentencing Council, Indecent photographs of children guideline (England and Wales); "
    "prohibited images of children, Coroners and Justice Act 2009 s.62."
)
# The default scheme, created by migration. Labels are marked for translation so the default
# scheme reads in the analyst's language; a scheme a hotline writes itself shows as written.
DEFAULT_OUTCOMES = (
    DefaultOutcome("A", gettext_noop("Category A"), OutcomeKind.CRIMINAL, "a"),
    DefaultOutcome("B", gettext_noop("Category B"), OutcomeKind.CRIMINAL, "b"),
    DefaultOutcome("C", gettext_noop("Category C"), OutcomeKind.CRIMINAL, "c"),
    DefaultOutcome(
        "NPI", gettext_noop("Prohibited non-photographic imagery"), OutcomeKind.CRIMINAL, "n"
    ),
    DefaultOutcome(
        "not_criminal",
        gettext_noop("Not criminal / out of remit"),
        OutcomeKind.NOT_CRIMINAL,
        "x",
    ),
    DefaultOutcome(
        "unavailable", gettext_noop("Content unavailable"), OutcomeKind.UNAVAILABLE, "u"
    ),
    DefaultOutcome(
        "duplicate", gettext_noop("Duplicate of another case"), OutcomeKind.DUPLICATE, "d"
    ),
)


def scheme_for(portal: Portal) -> ClassificationScheme:
    """The scheme `portal`'s cases are assessed under: its own if assigned, else the default."""
    assigned = PortalScheme.objects.filter(portal=portal).select_related("scheme").first()
    if assigned is not None:
        return assigned.scheme
    return ClassificationScheme.objects.get(is_default=True)


def outcomes_of(scheme: ClassificationScheme) -> list[SchemeOutcome]:
    return list(scheme.outcomes.order_by("position", "pk"))


def ensure_default_scheme(*, using: str = "default") -> ClassificationScheme | None:
    """Create the default classification scheme if there is none; None if one exists.

    Reference data, like a migration's: run after every `migrate` (and after a flush, which
    would otherwise leave a database where no case can be assessed). It is not an action and
    writes no audit event, as a migration writes none; changes to a scheme afterwards are made
    in the admin, which audits them.
    """
    with transaction.atomic(using=using):
        if ClassificationScheme.objects.using(using).filter(is_default=True).exists():
            return None
        scheme = ClassificationScheme.objects.using(using).create(
            slug=DEFAULT_SCHEME_SLUG,
            name=DEFAULT_SCHEME_NAME,
            law=DEFAULT_SCHEME_LAW,
            is_default=True,
        )
        SchemeOutcome.objects.using(using).bulk_create(
            SchemeOutcome(
                scheme=scheme,
                code=o.code,
                label=o.label,
                kind=o.kind,
                key=o.key,
                position=position,
            )
            for position, o in enumerate(DEFAULT_OUTCOMES)
        )
    return scheme
