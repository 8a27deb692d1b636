"""Background work of the URL list: its scheduled publication (core/periodic.py)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from hotline.audit.actions import SYSTEM


@task()
def publish_url_list_task() -> dict[str, Any]:
    """Publish the full feeds (HOTLINE_URLLIST_PUBLISH_TIMES); nothing if nothing changed."""
    from hotline.urllist.actions import publish_url_list

    snapshots = publish_url_list(actor=SYSTEM)
    return {
        "version": snapshots[0].version if snapshots else None,
        "formats": [s.format for s in snapshots],
    }
