"""Severity categories, shared by every app that records or publishes an assessment."""

from __future__ import annotations

from django.db import models


class Category(models.TextChoices):
    # UK Sentencing Council severity categories (see the glossary in DESIGN.md).
    A = "A", "Category A"
    B = "B", "Category B"
    C = "C", "Category C"
