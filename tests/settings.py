"""Test settings: the production settings, with what a test server on plain HTTP needs.

Everything else (CSP, CSRF, the task backend) stays as in production, and passwords are
hashed with production's algorithm at a lower cost, so the
tests exercise what runs. The database comes from HOTLINE_DATABASE_URL like in production.
"""

import os
from pathlib import Path

os.environ.setdefault(
    "HOTLINE_SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
)
os.environ.setdefault("HOTLINE_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# The suite's analysts assess as seasoned ones whose results are acted on at once; the tests of
# second assessments (tests/assessment/test_qa*.py) set the policy they need.
os.environ.setdefault("HOTLINE_QA_FIRST_ASSESSMENTS", "0")
os.environ.setdefault("HOTLINE_QA_SAMPLE_PERCENT", "0")

from hotline.settings import *  # noqa: F403

# The test servers speak plain HTTP on loopback.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Collected static files are not needed: whitenoise finds them where they are.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Argon2 as in production, at a cost that lets the suite sign hundreds of analysts in
# (tests/hashers.py); tests/core/test_settings.py checks production's own list.
PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# --- Outbound fetching (takedown capture and re-checks) ---
# The test world's web servers listen on loopback; every other private range stays refused.
# Production settings refuse this (hotline/settings.py), so it can only be set here.
HOTLINE_FETCH_ALLOW_LOOPBACK = True
# New cases are not captured in the background here: the tests that exercise capture start it
# themselves (tests/takedown), and no other test's worker spends its time fetching.
HOTLINE_CAPTURE_NEW_CASES = False
# Seatbelts: nothing a test does without the test world's servers may reach a real one. Names
# are resolved by a server on loopback that is not there (tests that need DNS start WorldDns),
# and no RDAP registry is known (tests that need one start WorldRdap).
HOTLINE_DNS_NAMESERVERS = ["127.0.0.1:9"]
HOTLINE_RDAP_BOOTSTRAP = str(Path(__file__).resolve().parent / "world" / "rdap-none.json")

# The PDQ index's file: one per test process, never the checkout's var/ (runs side by side).
HOTLINE_HASHLIST_INDEX_PATH = (
    Path(os.environ.get("TMPDIR", "/tmp")) / f"hotline-tests-{os.getpid()}" / "pdq.index"
)
