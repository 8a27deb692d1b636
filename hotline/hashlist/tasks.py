"""Background work of the hash list: its scheduled publication (core/periodic.py)."""

from __future__ import annotations

from typing import Any

from django.tasks import task

from hotline.audit.actions import SYSTEM


@task()
def publish_hash_list_task() -> dict[str, Any]:
    """Publish the full feeds (HOTLINE_HASHLIST_PUBLISH_TIMES); nothing if nothing changed."""
    from hotline.hashlist.actions import publish_hash_list

    snapshots = publish_hash_list(actor=SYSTEM)
    return {
        "version": snapshots[0].version if snapshots else None,
        "formats": [s.format for s in snapshots],
    }


@task()
def refresh_pdq_index_file() -> dict[str, Any]:
    """Write the PDQ index's file again when the changes since it are many or old; every
    process maps the new one (hashlist/live.py)."""
    from hotline.hashlist.live import refresh_index_file

    return dict(refresh_index_file())
