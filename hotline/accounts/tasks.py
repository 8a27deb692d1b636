"""Background work of the accounts app."""

from __future__ import annotations

from django.tasks import task

from hotline.accounts.actions import forget_stale_sign_in_throttles


@task()
def forget_sign_in_throttles() -> dict[str, int]:
    """Delete sign-in throttles whose failures are forgotten (hotline/accounts/throttle.py)."""
    return {"deleted": forget_stale_sign_in_throttles()}
