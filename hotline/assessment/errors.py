"""The one error the assessment app's actions and policies raise to say "not now"."""

from __future__ import annotations


class AssessmentRefused(Exception):
    """The analyst may not do this now; the message says why, in words for the analyst."""
