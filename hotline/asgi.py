"""The application `hotline serve` runs: Django (WSGI) behind an event loop that buffers.

See hotline/core/wsgi_bridge.py for why. Bodies over HOTLINE_MAX_BODY_BYTES are refused
unread; HOTLINE_WEB_THREADS threads per process run Django.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

from hotline.core.env import env_int  # noqa: E402
from hotline.core.wsgi_bridge import BufferedWSGIBridge  # noqa: E402

application = BufferedWSGIBridge(
    django_application,
    max_body=lambda: int(settings.HOTLINE_MAX_BODY_BYTES),
    threads=env_int("HOTLINE_WEB_THREADS", 8),
)
