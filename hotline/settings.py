"""Hotline settings. Everything an operator sets comes from HOTLINE_* environment variables.

Production-safe by default: DEBUG is off, so a SECRET_KEY must be given, cookies are secure and
HSTS is on. `make run` sets HOTLINE_DEBUG=1 for a local demo over plain HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from hotline.core.env import env_bool, env_int, env_list, env_secret, env_str

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
    "hotline.accounts",
    "hotline.members",
    "hotline.urllist",
    "hotline.cases",
    "hotline.intake",
    "hotline.assessment",
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
LOCALE_PATHS = [BASE_DIR / "hotline" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

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

# Reporter IP addresses are never logged: no access log with addresses, no request logging.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HOTLINE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # The flyer's font subsetting narrates every table it prunes.
        "fontTools": {"level": "WARNING"},
    },
}

# Demo credentials are printed by `hotline loaddemo` and only accepted while DEBUG is on.
HOTLINE_DEMO_ACCOUNTS_ENABLED = DEBUG
AUTHENTICATION_BACKENDS = ["hotline.accounts.backends.StaffBackend"]
