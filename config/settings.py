"""Senda settings: everything that differs between machines comes from the environment.

Production is the default. ``SENDA_DEBUG=1`` turns on development mode (debug pages, a fixed
development secret key, localhost hosts); see the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("SENDA_DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or env_bool("SENDA_TESTING"):
        SECRET_KEY = "senda-development-only-key-never-use-in-production"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or SENDA_DEBUG=1 for development."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # Swagger UI files for /api/docs, served from our own static files (no CDN)
    "senda.core",
    "senda.accounts",
    "senda.geo",
    "senda.directory",
    "senda.pathways",
    "senda.campaigns",
    "senda.inquiries",
    "senda.casework",
    "senda.sync",
    "senda.insights",
    "senda.surveys",
    "senda.portal",
]

MIDDLEWARE = [
    # Serves repeat anonymous visits of public pages from the cache (see CachingHeaders).
    "django.middleware.cache.UpdateCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # After gzip in this list, so that the ETag is computed on the uncompressed body.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Where each audit entry comes from (client address, channel).
    "senda.core.middleware.AuditContextMiddleware",
    "senda.core.middleware.SessionExpiryMiddleware",
    "senda.accounts.middleware.SecondFactorMiddleware",
    "senda.accounts.middleware.ForcePasswordChangeMiddleware",
    "senda.core.middleware.SecurityHeadersMiddleware",
    "senda.core.middleware.CachingHeadersMiddleware",
    "django.middleware.cache.FetchFromCacheMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "senda.core.context_processors.senda",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'senda.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the portal read while an import writes; IMMEDIATE avoids lock upgrade deadlocks;
    # a writer waits up to 15 s for the lock (a burst of phones syncing) before giving up.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=15000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SENDA_TEST_SQLITE_NAME", "")}

# A per-process memory cache: public pages that anonymous people read are kept for
# SENDA_PUBLIC_CACHE_SECONDS; nothing a signed-in person sees is ever cached (private, no-store).
SENDA_PUBLIC_CACHE_SECONDS = int(os.environ.get("SENDA_PUBLIC_CACHE_SECONDS", "300"))
CACHES = {
    # Shared by every server process (and machine): rate limits must hold across workers.
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "senda_cache",
    },
    "pages": {
        "BACKEND": (
            # Tests read pages right after changing data: no page cache unless a test asks.
            "django.core.cache.backends.dummy.DummyCache"
            if env_bool("SENDA_TESTING")
            else "django.core.cache.backends.locmem.LocMemCache"
        ),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
CACHE_MIDDLEWARE_ALIAS = "pages"
CACHE_MIDDLEWARE_SECONDS = SENDA_PUBLIC_CACHE_SECONDS
CACHE_MIDDLEWARE_KEY_PREFIX = "pages"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "directory:staff_home"
LOGOUT_REDIRECT_URL = "portal:home"

# Spanish first; English complete. More languages for content need no code (see README).
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Mexico_City"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("SENDA_TESTING")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security defaults for production; relaxed only in development mode.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Database sessions (revoked at once everywhere), read in one plain statement; the user is read
# with their memberships (every staff page needs them) in one more.
SESSION_ENGINE = "senda.accounts.sessions"
AUTHENTICATION_BACKENDS = ["senda.accounts.backends.UserBackend"]
# Signed-in sessions end after this long without a request, and after this long in any case
# (SessionExpiryMiddleware); the cookie never outlives the second.
# KoboToolbox servers analysts may pull survey submissions from (origins, comma-separated):
# a self-hosted server is added here, never typed freely.
SENDA_KOBO_SERVERS = env_list(
    "SENDA_KOBO_SERVERS", "https://kf.kobotoolbox.org,https://eu.kobotoolbox.org"
)
SENDA_SESSION_IDLE_MINUTES = int(os.environ.get("SENDA_SESSION_IDLE_MINUTES", "30"))
SENDA_SESSION_MAX_HOURS = int(os.environ.get("SENDA_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = 60 * 60 * SENDA_SESSION_MAX_HOURS
# Failed logins (password or second factor), counted in the shared database cache: this many
# in the window locks the user name (or the client address) for the lockout.
SENDA_LOGIN_FAILURES_PER_USERNAME = int(os.environ.get("SENDA_LOGIN_FAILURES_PER_USERNAME", "5"))
SENDA_LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("SENDA_LOGIN_FAILURES_PER_ADDRESS", "20"))
SENDA_LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("SENDA_LOGIN_FAILURE_WINDOW_MINUTES", "15"))
SENDA_LOGIN_LOCKOUT_MINUTES = int(os.environ.get("SENDA_LOGIN_LOCKOUT_MINUTES", "15"))
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
HTTPS = env_bool("SENDA_HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SENDA_SSL_REDIRECT", default=False)
if HTTPS:
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SENDA_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines can carry query strings; never log them (near-me coordinates, search).
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "ERROR", "propagate": False},
    },
}

# Senda's own settings.
SENDA_STALE_SERVICE_DAYS = int(os.environ.get("SENDA_STALE_SERVICE_DAYS", "180"))
# Insights: aggregates shown without access to the people behind them, and every export,
# hide counts of 1 to this minus one contributors.
SENDA_SMALL_NUMBER_THRESHOLD = int(os.environ.get("SENDA_SMALL_NUMBER_THRESHOLD", "5"))
# A request for information answered within this many hours is answered on time.
SENDA_INQUIRY_TARGET_HOURS = int(os.environ.get("SENDA_INQUIRY_TARGET_HOURS", "72"))
SENDA_INSIGHTS_MAX_AGE = int(os.environ.get("SENDA_INSIGHTS_MAX_AGE", "900"))  # seconds
SENDA_PAGE_SIZE = 20
SENDA_AUDIT_PAGE_SIZE = 50
SENDA_STALE_GUIDE_DAYS = int(os.environ.get("SENDA_STALE_GUIDE_DAYS", "90"))
SENDA_INQUIRY_ESCALATION_HOURS = int(os.environ.get("SENDA_INQUIRY_ESCALATION_HOURS", "48"))
# Behind a reverse proxy: the request header that carries the client's address.
SENDA_INQUIRY_CLIENT_IP_HEADER = os.environ.get("SENDA_INQUIRY_CLIENT_IP_HEADER", "")

# The offline field app and its sync protocol (README: "Field app and sync").
SENDA_FIELD_LOCK_MINUTES = int(os.environ.get("SENDA_FIELD_LOCK_MINUTES", "15"))
SENDA_FIELD_WIPE_HOURS = int(os.environ.get("SENDA_FIELD_WIPE_HOURS", "72"))
SENDA_SYNC_MAX_BATCH = int(os.environ.get("SENDA_SYNC_MAX_BATCH", "200"))
SENDA_SYNC_PAGE_SIZE = int(os.environ.get("SENDA_SYNC_PAGE_SIZE", "500"))
SENDA_SYNC_FEED_GAP_SECONDS = int(os.environ.get("SENDA_SYNC_FEED_GAP_SECONDS", "300"))

if env_bool("SENDA_TESTING"):
    # Tests create many users; a fast hasher keeps the suite quick. Never in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
