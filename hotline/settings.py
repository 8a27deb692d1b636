"""Hotline settings. Everything an operator sets comes from HOTLINE_* environment variables.

Production-safe by default: DEBUG is off, so a SECRET_KEY must be given, cookies are secure and
HSTS is on. `make run` sets HOTLINE_DEBUG=1 for a local demo over plain HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from hotline.core.dns import parse_nameservers as _parse_nameservers
from hotline.core.env import (
    env_bool,
    env_durations,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_times_of_day,
)
from hotline.core.publication.signing import load_signing_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HOTLINE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("HOTLINE_DEBUG", default=False)

SECRET_KEY = env_secret("HOTLINE_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "HOTLINE_SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set HOTLINE_DEBUG=1 for a local demo."
        )
    SECRET_KEY = "hotline-insecure-development-key-never-use-in-production-0123456789"  # noqa: S105

# The audit chain is sealed with HMAC-SHA256 under this key, which lives outside the database:
# whoever can write to the database alone cannot rewrite an event and recompute the chain.
# By default it is derived from SECRET_KEY; set it on its own to be free to rotate SECRET_KEY
# (changing the audit key itself makes `hotline audit verify` refuse the existing chain).
HOTLINE_AUDIT_KEY = (
    env_secret("HOTLINE_AUDIT_KEY")
    or hmac.new(SECRET_KEY.encode(), b"hotline.audit-chain", hashlib.sha256).hexdigest()
)

# The Ed25519 key that signs the URL list's and the hash list's manifests (docs/urllist.md):
# PEM or base64 seed, or a file (HOTLINE_FEED_SIGNING_KEY_FILE); by default derived from
# SECRET_KEY with HKDF.
HOTLINE_FEED_SIGNING_KEY = env_secret("HOTLINE_FEED_SIGNING_KEY")
load_signing_key(HOTLINE_FEED_SIGNING_KEY, SECRET_KEY)  # a bad value stops start-up, named
# When the full URL list feeds are published (UTC, HH:MM, comma-separated); the changes since
# a version are served at once whatever the schedule.
HOTLINE_URLLIST_PUBLISH_TIMES = parse_times_of_day(
    "HOTLINE_URLLIST_PUBLISH_TIMES", env_str("HOTLINE_URLLIST_PUBLISH_TIMES", "06:00,18:00")
)
# The same for the hash list's full feeds (docs/hashlist.md).
HOTLINE_HASHLIST_PUBLISH_TIMES = parse_times_of_day(
    "HOTLINE_HASHLIST_PUBLISH_TIMES", env_str("HOTLINE_HASHLIST_PUBLISH_TIMES", "06:00,18:00")
)
# PDQ hashes below this quality (0-100) are neither listed nor compared: a flat or tiny
# picture's PDQ says little about it (Meta's own floor is 50).
HOTLINE_HASHLIST_PDQ_QUALITY_FLOOR = env_int("HOTLINE_HASHLIST_PDQ_QUALITY_FLOOR", 50)
# A new case whose captured image is this close (PDQ distance, 0-31) to a hash list entry, or
# equal by SHA-256 or MD5, is confirmed without an analyst. Lower is stricter: nobody looks at
# such a case before it is acted on (docs/hashlist.md, "Known imagery").
HOTLINE_KNOWN_IMAGERY_PDQ_DISTANCE = env_int("HOTLINE_KNOWN_IMAGERY_PDQ_DISTANCE", 16)
# Captured images smaller than this on their short side (icons, buttons, spacers) are not put
# on the hash list from a confirmed case: they are a page's furniture, not its content.
HOTLINE_HASHLIST_MIN_IMAGE_SIDE = env_int("HOTLINE_HASHLIST_MIN_IMAGE_SIDE", 100)
# The exact PDQ index's file, memory-mapped by every process (docs/hashlist.md, "The index").
HOTLINE_HASHLIST_INDEX_PATH = Path(
    env_str("HOTLINE_HASHLIST_INDEX_PATH", str(VAR_DIR / "hashlist" / "pdq.index"))
)
# The match API's PDQ distance when a request names none (0-31).
HOTLINE_MATCH_PDQ_DISTANCE = env_int("HOTLINE_MATCH_PDQ_DISTANCE", 31)
for _name, _top in (
    ("HASHLIST_PDQ_QUALITY_FLOOR", 100),
    ("KNOWN_IMAGERY_PDQ_DISTANCE", 31),
    ("MATCH_PDQ_DISTANCE", 31),
):
    if not 0 <= globals()[f"HOTLINE_{_name}"] <= _top:
        raise ImproperlyConfigured(f"HOTLINE_{_name} must be between 0 and {_top}.")

ALLOWED_HOSTS = env_list(
    "HOTLINE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("HOTLINE_CSRF_TRUSTED_ORIGINS", [])

# The site's public address, printed on flyers and in QR codes. Never taken from a request's
# Host header: a visitor could otherwise choose what a flyer says. A portal with host names
# of its own uses its first one instead.
HOTLINE_PUBLIC_URL = env_str("HOTLINE_PUBLIC_URL", "").rstrip("/")
if HOTLINE_PUBLIC_URL and not re.fullmatch(r"https?://[a-z0-9.-]+(:[0-9]+)?", HOTLINE_PUBLIC_URL):
    raise ImproperlyConfigured(
        f"HOTLINE_PUBLIC_URL={HOTLINE_PUBLIC_URL!r} is not a site address like "
        "'https://report.example' (scheme and host name, no path)."
    )
if not HOTLINE_PUBLIC_URL:
    _bind = env_str("HOTLINE_BIND", "127.0.0.1:8000")
    HOTLINE_PUBLIC_URL = (
        f"http://{_bind.replace('0.0.0.0', '127.0.0.1')}"  # noqa: S104 (an address to print)
        if DEBUG
        else f"https://{next((h for h in ALLOWED_HOSTS if h[0].isalnum()), 'localhost')}"
    )

INSTALLED_APPS = [
    # Staff accounts come first only so that their `createsuperuser` (which points to the
    # audited `hotline staff add --superuser`) replaces django.contrib.auth's; Django lets
    # the earlier app's command win. Their layer is as in docs/architecture.md.
    "hotline.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "ninja",
    # Hotline, lowest layer first (docs/architecture.md).
    "hotline.core",
    "hotline.audit",
    "hotline.portals",
    # (hotline.accounts, layer 4, is listed first: see above)
    "hotline.members",
    "hotline.urllist",
    "hotline.hashlist",
    "hotline.cases",
    "hotline.takedown",
    "hotline.outcomes",
    "hotline.intake",
    "hotline.assessment",
    "hotline.stats",
    "hotline.demo",
]

MIDDLEWARE = [
    "hotline.core.bodylimit.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Ends idle and over-age staff sessions before anything reads the user.
    "hotline.accounts.sessions.StaffSessionExpiryMiddleware",
    # After authentication (a draft portal's preview needs the user), before CSRF failures
    # and error pages are rendered (they speak the resolved language).
    "hotline.portals.resolver.PortalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "hotline.urls"
WSGI_APPLICATION = "hotline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "hotline" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hotline.portals.context.portal_context",
            ],
        },
    },
]

# SQLite file by default (embedded, zero set-up); PostgreSQL when the URL says so.
DATABASE_URL = env_str("HOTLINE_DATABASE_URL", f"sqlite:///{VAR_DIR / 'hotline.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:
    raise ImproperlyConfigured(
        f"HOTLINE_DATABASE_URL={DATABASE_URL!r} is not understood ({exc}); use "
        "sqlite:////absolute/path.sqlite3 or postgres://user:password@host:5432/name."
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock at BEGIN instead of failing half-way; WAL lets the
        # web server and the worker read while the other writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.StaffUser"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "assessment:queue"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
OTP_TOTP_ISSUER = "Hotline"
# django-otp's own per-device throttle refuses even the right code for 1 s, 2 s, 4 s ... after
# a wrong one, with the same "not right" message; our sign-in throttle
# (hotline/accounts/throttle.py) limits guessing instead, and says when it holds someone back.
OTP_TOTP_THROTTLE_FACTOR = 0
# The admin never shows authenticator keys or QR codes: `hotline staff add|reset-mfa` shows a
# new key once, to the person enrolling, so no administrator can copy a colleague's codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Languages the public portals may offer; each portal picks its own subset.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("ar", "العربية"),
    ("fr", "Français"),
    ("en", "English"),
    ("es", "Español"),
    ("pt", "Português"),
    ("sw", "Kiswahili"),
]
LANGUAGES_BIDI = ["ar"]
# The staff pages (/staff/) speak these: each staff member picks one (StaffUser.language), else
# the browser's best match among them. Every staff string is translated into each of them.
STAFF_LANGUAGES = ["ar", "fr", "en"]
LOCALE_PATHS = [BASE_DIR / "hotline" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# Analyst welfare (hotline/assessment/welfare.py, docs/welfare.md). One limit for the whole
# hotline, not per portal: an analyst's exposure is the same whichever portal a case came from,
# and one shift spans several portals.
HOTLINE_EXPOSURE_LIMIT_MINUTES = env_int("HOTLINE_EXPOSURE_LIMIT_MINUTES", 240)
HOTLINE_BREAK_REMINDER_MINUTES = env_int("HOTLINE_BREAK_REMINDER_MINUTES", 60)
for _name, _minutes in (
    ("HOTLINE_EXPOSURE_LIMIT_MINUTES", HOTLINE_EXPOSURE_LIMIT_MINUTES),
    ("HOTLINE_BREAK_REMINDER_MINUTES", HOTLINE_BREAK_REMINDER_MINUTES),
):
    if not 1 <= _minutes <= 24 * 60:
        raise ImproperlyConfigured(
            f"{_name}={_minutes} must be between 1 and 1440 (minutes in a day)."
        )
# Where the analysts' working day starts and ends: set the time zone of the hotline's office.
HOTLINE_WELFARE_TIME_ZONE = env_str("HOTLINE_WELFARE_TIME_ZONE", TIME_ZONE)
try:
    ZoneInfo(HOTLINE_WELFARE_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"HOTLINE_WELFARE_TIME_ZONE={HOTLINE_WELFARE_TIME_ZONE!r} is not a time zone name; "
        "use one like Europe/London or Africa/Tunis."
    ) from None

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "hotline" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

TASKS = {
    "default": {
        "BACKEND": env_str("HOTLINE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Security. Behind a TLS-terminating proxy, set HOTLINE_PROXY_SSL_HEADER=1.
SESSION_COOKIE_SECURE = env_bool("HOTLINE_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# The CSRF cookie ends with the browser session, like the session cookie: no year-long token
# left on a shared or family computer to show that someone used the reporting form.
CSRF_COOKIE_AGE = None
SESSION_COOKIE_AGE = env_int("HOTLINE_SESSION_SECONDS", 8 * 3600)
# A staff session also ends after this long without a request (hotline/accounts/sessions.py);
# SESSION_COOKIE_AGE stays its absolute limit, however active it is.
HOTLINE_STAFF_IDLE_SECONDS = env_int("HOTLINE_STAFF_IDLE_SECONDS", 30 * 60)
if not 60 <= HOTLINE_STAFF_IDLE_SECONDS <= SESSION_COOKIE_AGE:
    raise ImproperlyConfigured(
        f"HOTLINE_STAFF_IDLE_SECONDS={HOTLINE_STAFF_IDLE_SECONDS} must be between 60 and "
        f"HOTLINE_SESSION_SECONDS ({SESSION_COOKIE_AGE}): seconds without activity after "
        "which a staff member is signed out."
    )
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_SSL_REDIRECT = env_bool("HOTLINE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("HOTLINE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("HOTLINE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on form posts,
# which CSRF origin checking must refuse. Other sites still get no referrer.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("HOTLINE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Public pages load nothing from anywhere else: no CDN, no fonts, no analytics.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    # The nonce lets a page carry its portal's colour in one <style> element.
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
}
# The report form keeps what the person typed when its token expired (intake decides).
CSRF_FAILURE_VIEW = "hotline.intake.views.csrf_failure"

# Bad input on the public form: the form reports a long list itself; this only caps the body.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
# Files: only where a form takes them (the admin's logo upload), and at most about 1 MB kept.
# Put a body-size limit at the proxy too (e.g. nginx client_max_body_size 4m).
FILE_UPLOAD_HANDLERS = [
    "hotline.core.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
HOTLINE_UPLOAD_PATHS = ["/admin/"]

# Rate limits count clients under a keyed hash of their address (hotline/core/ratelimit.py).
# Behind N trusted proxies that append to X-Forwarded-For, set this to N.
HOTLINE_TRUSTED_PROXY_HOPS = env_int("HOTLINE_TRUSTED_PROXY_HOPS", 0)
# The cache holds the rate-limit counters and their daily secret. In memory by default (each
# process counts on its own); HOTLINE_CACHE_URL=redis://host:6379/0 shares them between every
# web process. Run that Redis without persistence (--save "" --appendonly no): the daily
# secret must never reach a disk.
CACHE_URL = env_str("HOTLINE_CACHE_URL", "")
if CACHE_URL and not re.fullmatch(r"rediss?://\S+", CACHE_URL):
    raise ImproperlyConfigured(
        f"HOTLINE_CACHE_URL={CACHE_URL!r} is not understood; use redis://host:6379/0 "
        "(or rediss:// for TLS), or leave it unset for an in-memory cache per process."
    )
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "hotline",
            # Django's default of 300 entries would let a flood from many addresses evict, in
            # seconds, the counters and the spent proof-of-work solutions (hotline.intake.pow).
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    )
}
HOTLINE_UPLOAD_CAP = 1_000_000
# Any request body announced larger than this is refused (413) before it is read.
HOTLINE_MAX_BODY_BYTES = env_int("HOTLINE_MAX_BODY_BYTES", 3_000_000)

# The one status message a reporter may ask for (hotline/intake/tasks.py) goes out through this
# SMTP server, STARTTLS by default. Without HOTLINE_EMAIL_HOST there is no mailer at all (MAILERS
# stays undefined, so Django has nothing to send with), and the report form does not offer the
# message: a portal must not promise what it cannot send.
_email_host = env_str("HOTLINE_EMAIL_HOST", "")
_email_ssl = env_bool("HOTLINE_EMAIL_SSL", default=False)
_email_tls = env_bool("HOTLINE_EMAIL_TLS", default=not _email_ssl)
if _email_host:
    if _email_ssl and _email_tls:
        raise ImproperlyConfigured(
            "HOTLINE_EMAIL_SSL=1 (TLS from the first byte, usually port 465) and "
            "HOTLINE_EMAIL_TLS=1 (STARTTLS, usually port 587) exclude each other: set only one."
        )
    DEFAULT_FROM_EMAIL = env_str("HOTLINE_EMAIL_FROM", "")
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", DEFAULT_FROM_EMAIL):
        raise ImproperlyConfigured(
            f"HOTLINE_EMAIL_FROM={DEFAULT_FROM_EMAIL!r} is not an e-mail address. With "
            "HOTLINE_EMAIL_HOST set, give the address status messages come from, e.g. "
            "no-reply@report.example."
        )
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("HOTLINE_EMAIL_PORT", 465 if _email_ssl else 587),
                "username": env_str("HOTLINE_EMAIL_USER", ""),
                "password": env_secret("HOTLINE_EMAIL_PASSWORD"),
                "use_tls": _email_tls,
                "use_ssl": _email_ssl,
                # A server that does not answer must not hold the worker for long.
                "timeout": 20,
            },
        }
    }
# An address whose report has not been assessed by then is deleted without a message.
HOTLINE_STATUS_EMAIL_DAYS = env_int("HOTLINE_STATUS_EMAIL_DAYS", 180)
if HOTLINE_STATUS_EMAIL_DAYS < 1:
    raise ImproperlyConfigured(
        f"HOTLINE_STATUS_EMAIL_DAYS={HOTLINE_STATUS_EMAIL_DAYS} must be 1 or more (days)."
    )

# Second assessments (assessment/qa.py): every assessment in an analyst's first
# The name of the DNS response policy zone of the domain list (hotline/urllist/rpz.py), as
# members configure it in their resolvers.
HOTLINE_RPZ_ZONE = env_str("HOTLINE_RPZ_ZONE", "urllist.hotline.rpz.")
# HOTLINE_QA_FIRST_ASSESSMENTS, and HOTLINE_QA_SAMPLE_PERCENT per cent of all others drawn at
# random, are checked by a second analyst before anything is acted on. A portal may set its own
# in the admin (QA policy).
HOTLINE_QA_FIRST_ASSESSMENTS = env_int("HOTLINE_QA_FIRST_ASSESSMENTS", 50)
if HOTLINE_QA_FIRST_ASSESSMENTS < 0:
    raise ImproperlyConfigured(
        f"HOTLINE_QA_FIRST_ASSESSMENTS={HOTLINE_QA_FIRST_ASSESSMENTS} must be 0 or more "
        "(0: no analyst's assessments are checked for being among their first)."
    )
HOTLINE_QA_SAMPLE_PERCENT = env_int("HOTLINE_QA_SAMPLE_PERCENT", 5)
if not 0 <= HOTLINE_QA_SAMPLE_PERCENT <= 100:
    raise ImproperlyConfigured(
        f"HOTLINE_QA_SAMPLE_PERCENT={HOTLINE_QA_SAMPLE_PERCENT} must be a whole per cent "
        "from 0 to 100."
    )

# The public figures page (/<portal>/<lang>/figures/, hotline/stats/public.py) shows every count
# under this as "fewer than N", so that no single report can be inferred from it.
HOTLINE_PUBLIC_FIGURES_THRESHOLD = env_int("HOTLINE_PUBLIC_FIGURES_THRESHOLD", 5)
if HOTLINE_PUBLIC_FIGURES_THRESHOLD < 1:
    raise ImproperlyConfigured(
        f"HOTLINE_PUBLIC_FIGURES_THRESHOLD={HOTLINE_PUBLIC_FIGURES_THRESHOLD} must be 1 or more "
        '(counts under it are shown as "fewer than N"; 5 is usual).'
    )

# Reporter IP addresses are never logged: no access log with addresses, no request logging.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HOTLINE_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (on with DEBUG) would print every django.* line a
        # second time, unformatted: they go to the root's handler only.
        "django": {"handlers": [], "level": env_str("HOTLINE_LOG_LEVEL", "INFO")},
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # The flyer's font subsetting narrates every table it prunes.
        "fontTools": {"level": "WARNING"},
        # WeasyPrint (the PDF reports) narrates every step of every page at INFO.
        "weasyprint": {"level": "WARNING"},
        # httpx logs every request's URL at INFO; reported addresses stay out of the logs.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Notice and takedown (hotline/takedown; docs/takedown.md) ---
# Re-checks of confirmed content: at these times after the confirmation, then once every
# HOTLINE_TAKEDOWN_RECHECK_EVERY until it is gone; after removal, watched as often for
# HOTLINE_TAKEDOWN_WATCH_DAYS in case it comes back.
HOTLINE_TAKEDOWN_RECHECKS = env_durations("HOTLINE_TAKEDOWN_RECHECKS", "1h,6h,24h")
HOTLINE_TAKEDOWN_RECHECK_EVERY = env_durations("HOTLINE_TAKEDOWN_RECHECK_EVERY", "1d")[0]
HOTLINE_TAKEDOWN_WATCH_DAYS = env_int("HOTLINE_TAKEDOWN_WATCH_DAYS", 30)
# A re-check round in this many shards, run side by side by as many worker processes (set it
# to the number of worker processes, or cores, you run; 1: one process does the round).
HOTLINE_TAKEDOWN_RECHECK_SHARDS = env_int("HOTLINE_TAKEDOWN_RECHECK_SHARDS", 1)
if not 1 <= HOTLINE_TAKEDOWN_RECHECK_SHARDS <= 64:
    raise ImproperlyConfigured(
        f"HOTLINE_TAKEDOWN_RECHECK_SHARDS={HOTLINE_TAKEDOWN_RECHECK_SHARDS} must be 1 to 64."
    )
# Escalation to the next party when the content is still online this long after confirmation.
HOTLINE_TAKEDOWN_ESCALATE_AFTER = env_durations("HOTLINE_TAKEDOWN_ESCALATE_AFTER", "48h,7d")
# A notice whose delivery failed this many times is marked failed, for a person to route.
HOTLINE_TAKEDOWN_SEND_ATTEMPTS = env_int("HOTLINE_TAKEDOWN_SEND_ATTEMPTS", 5)
# Capture each new case's URL before an analyst opens it (off: only on confirmation).
HOTLINE_CAPTURE_NEW_CASES = env_bool("HOTLINE_CAPTURE_NEW_CASES", default=True)
# The optional evidence store (hotline/takedown/evidence.py): captured images kept encrypted
# with this Fernet key, for this many days. Off while the key is empty.
HOTLINE_EVIDENCE_KEY = env_secret("HOTLINE_EVIDENCE_KEY")
HOTLINE_EVIDENCE_DAYS = env_int("HOTLINE_EVIDENCE_DAYS", 30)
if HOTLINE_EVIDENCE_KEY:
    try:
        Fernet(HOTLINE_EVIDENCE_KEY)
    except ValueError:
        raise ImproperlyConfigured(
            "HOTLINE_EVIDENCE_KEY is not a Fernet key (32 bytes in URL-safe base64); "
            "`hotline evidence-key` prints a new one."
        ) from None
if HOTLINE_EVIDENCE_DAYS < 1:
    raise ImproperlyConfigured(f"HOTLINE_EVIDENCE_DAYS={HOTLINE_EVIDENCE_DAYS} must be 1 or more.")
# The From address of notices (default: DEFAULT_FROM_EMAIL), and where replies go.
HOTLINE_NOTICE_FROM = env_str("HOTLINE_NOTICE_FROM", "")
HOTLINE_NOTICE_REPLY_TO = env_str("HOTLINE_NOTICE_REPLY_TO", "")

# Demo credentials are printed by `hotline loaddemo` and only accepted while DEBUG is on.
HOTLINE_DEMO_ACCOUNTS_ENABLED = DEBUG
AUTHENTICATION_BACKENDS = ["hotline.accounts.backends.StaffBackend"]

# --- Hosting trace (takedown) ---
# Where a reported host is resolved (hotline/core/dns.py; the trace and the safe fetcher ask the
# same servers): "ip" or "ip:port" separated by commas; empty: the system's resolver.
HOTLINE_DNS_NAMESERVERS = env_list("HOTLINE_DNS_NAMESERVERS", [])
_parse_nameservers("HOTLINE_DNS_NAMESERVERS", HOTLINE_DNS_NAMESERVERS)  # fail at start-up
# Seconds one resolution may take in all (every server, every retry).
HOTLINE_DNS_TIMEOUT = env_int("HOTLINE_DNS_TIMEOUT", 5)
if HOTLINE_DNS_TIMEOUT < 1:
    raise ImproperlyConfigured(f"HOTLINE_DNS_TIMEOUT={HOTLINE_DNS_TIMEOUT} must be 1 or more (s).")
# The offline IP to country and network database that `hotline geo install` builds
# (hotline/takedown/geo.py), and the npm registry it downloads the open data from.
HOTLINE_GEO_DIR = Path(env_str("HOTLINE_GEO_DIR", str(VAR_DIR / "geo")))
HOTLINE_GEO_REGISTRY = env_str("HOTLINE_GEO_REGISTRY", "https://registry.npmjs.org/")
# MaxMind databases (GeoLite2-Country or -City, GeoLite2-ASN), or any mmdb in their layout or
# in ip-location-db's; when set, they answer instead of the built database.
HOTLINE_GEOIP_COUNTRY_MMDB = env_str("HOTLINE_GEOIP_COUNTRY_MMDB", "")
HOTLINE_GEOIP_ASN_MMDB = env_str("HOTLINE_GEOIP_ASN_MMDB", "")
# RDAP bootstrap (RFC 9224): a JSON file in IANA's format, or a directory with IANA's ipv4.json
# and ipv6.json; empty: hotline/takedown/data/rdap-bootstrap.json (the five RIRs).
HOTLINE_RDAP_BOOTSTRAP = env_str("HOTLINE_RDAP_BOOTSTRAP", "")
HOTLINE_RDAP_TIMEOUT = env_int("HOTLINE_RDAP_TIMEOUT", 10)
# How long an RDAP answer is reused for other addresses of the same network, in seconds.
HOTLINE_RDAP_CACHE_SECONDS = env_int("HOTLINE_RDAP_CACHE_SECONDS", 6 * 3600)
# The partner hotlines by country (INHOPE members); empty: hotline/takedown/data/hotlines.toml.
HOTLINE_HOTLINES_FILE = env_str("HOTLINE_HOTLINES_FILE", "")
# --- Outbound fetching (takedown capture and re-checks) ---
# hotline/takedown/fetch.py fetches the URLs reporters give; it never reaches loopback, private
# or other internal addresses. The test suite alone may let it reach loopback, where its test
# servers listen (tests/settings.py); an operator cannot, so the variable stops start-up.
if "HOTLINE_FETCH_ALLOW_LOOPBACK" in os.environ:
    raise ImproperlyConfigured(
        "HOTLINE_FETCH_ALLOW_LOOPBACK is set in the environment. It exists for the test suite "
        "only (tests/settings.py sets it) and would let reported URLs reach services on this "
        "machine; unset it."
    )
HOTLINE_FETCH_ALLOW_LOOPBACK = False
# (The fetcher resolves names itself, never through the OS, with HOTLINE_DNS_NAMESERVERS.)
# The proxy .onion addresses are fetched through (socks5h://127.0.0.1:9050 for a Tor client);
# without one, .onion URLs are refused.
HOTLINE_FETCH_PROXY = env_str("HOTLINE_FETCH_PROXY", "")
if HOTLINE_FETCH_PROXY:
    _proxy_scheme = HOTLINE_FETCH_PROXY.split("://", 1)[0].lower()
    if _proxy_scheme not in ("http", "https", "socks5", "socks5h"):
        raise ImproperlyConfigured(
            f"HOTLINE_FETCH_PROXY={HOTLINE_FETCH_PROXY!r} is not a proxy address: use "
            "http://host:port, or socks5h://host:port for Tor."
        )
    if _proxy_scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
        raise ImproperlyConfigured(
            f"HOTLINE_FETCH_PROXY={HOTLINE_FETCH_PROXY!r} is a SOCKS proxy, which needs the "
            "socksio package (pip install socksio); or use an http:// proxy."
        )
HOTLINE_FETCH_CONNECT_TIMEOUT = env_int("HOTLINE_FETCH_CONNECT_TIMEOUT", 5)
HOTLINE_FETCH_READ_TIMEOUT = env_int("HOTLINE_FETCH_READ_TIMEOUT", 10)
# The most one URL may take, redirects included (seconds).
HOTLINE_FETCH_TOTAL_TIMEOUT = env_int("HOTLINE_FETCH_TOTAL_TIMEOUT", 30)
for _name in ("CONNECT", "READ", "TOTAL"):
    if globals()[f"HOTLINE_FETCH_{_name}_TIMEOUT"] < 1:
        raise ImproperlyConfigured(f"HOTLINE_FETCH_{_name}_TIMEOUT must be 1 or more (seconds).")
# DNS answers are kept per batch for their TTL, never longer than this (seconds).
HOTLINE_FETCH_DNS_CACHE_SECONDS = env_int("HOTLINE_FETCH_DNS_CACHE_SECONDS", 60)
# Sites that host abuse material serve something else to visitors that look like crawlers.
HOTLINE_FETCH_USER_AGENT = env_str(
    "HOTLINE_FETCH_USER_AGENT",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
)
# Off only to capture from sites with broken certificates, at the risk of a forged answer.
HOTLINE_FETCH_VERIFY_TLS = env_bool("HOTLINE_FETCH_VERIFY_TLS", default=True)
# A page is read up to this many bytes, an image up to its own cap; at most this many images
# of a page are fetched and hashed.
HOTLINE_CAPTURE_MAX_PAGE_BYTES = env_int("HOTLINE_CAPTURE_MAX_PAGE_BYTES", 2 * 1024 * 1024)
HOTLINE_CAPTURE_MAX_IMAGE_BYTES = env_int("HOTLINE_CAPTURE_MAX_IMAGE_BYTES", 16 * 1024 * 1024)
HOTLINE_CAPTURE_MAX_IMAGES = env_int("HOTLINE_CAPTURE_MAX_IMAGES", 50)
for _name in ("MAX_PAGE_BYTES", "MAX_IMAGE_BYTES", "MAX_IMAGES"):
    if globals()[f"HOTLINE_CAPTURE_{_name}"] < 1:
        raise ImproperlyConfigured(f"HOTLINE_CAPTURE_{_name} must be 1 or more.")
