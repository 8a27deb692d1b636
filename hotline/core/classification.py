"""The vocabulary of assessment results, shared by every app that records or acts on one.

A hotline classifies under its own law, so the outcomes an analyst picks from are data (a
classification scheme per portal, kept by the assessment app, with the UK Sentencing Council
categories as the default). What every scheme's outcome means for the rest of the system is
one of the few kinds below: the lower layers (URL list, hash list, takedown) act on the kind
and record the category code as given, never on a particular scheme.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The longest category code a scheme may use ("A", "NPI", "CAT-1" ...): stored on cases, list
# entries and assessments.
CATEGORY_CODE_LENGTH = 16


class OutcomeKind(models.TextChoices):
    # Criminal imagery under the portal's law: blocked (URL list) and removed (takedown).
    CRIMINAL = "criminal", _("Criminal content")
    # Seen, and not criminal or not within the hotline's remit: no action.
    NOT_CRIMINAL = "not_criminal", _("Not criminal / out of remit")
    # The page no longer shows anything to assess (gone, 404, empty).
    UNAVAILABLE = "unavailable", _("Content unavailable")
    # The same content as another case, which carries the assessment.
    DUPLICATE = "duplicate", _("Duplicate of another case")


class Category(models.TextChoices):
    """The default scheme's criminal categories: UK Sentencing Council severity (see the
    glossary in docs), plus prohibited non-photographic imagery."""

    A = "A", _("Category A")
    B = "B", _("Category B")
    C = "C", _("Category C")
    NPI = "NPI", _("Prohibited non-photographic imagery")
