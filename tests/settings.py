"""Test settings: the production settings, with what a test server on plain HTTP needs.

Everything else (CSP, CSRF, password hashing, the task backend) stays as in production, so the
tests exercise what runs. The database comes from HOTLINE_DATABASE_URL like in production.
"""

import os

os.environ.setdefault(
    "HOTLINE_SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
)
os.environ.setdefault("HOTLINE_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from hotline.settings import *  # noqa: F403

# The test servers speak plain HTTP on loopback.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Collected static files are not needed: whitenoise finds them where they are.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
