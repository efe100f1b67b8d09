"""Settings for Halen/Brengen, read from the environment.

Without any environment this is the embedded default for a first run: DEBUG on, SQLite,
in-memory channel layer. Production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DATABASE_URL,
REDIS_URL and DJANGO_ALLOWED_HOSTS (see .env.example and README.md).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

# With DEBUG on: Django's debug page for a page that does not exist (1), or the product's own
# 404 page (0, what `make run`'s demo shows).
HB_TECHNICAL_404 = env_bool("HB_TECHNICAL_404", DEBUG)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
if "*" in ALLOWED_HOSTS:
    # The websocket origin check relies on a real host list.
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list real host names, not '*'.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "csp",
    "sessions.apps.SessionsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "halenbrengen.middleware.ProductNotFoundMiddleware",
]

ROOT_URLCONF = "halenbrengen.urls"
ASGI_APPLICATION = "halenbrengen.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Database: SQLite file by default; DATABASE_URL (postgres://...) in production and CI.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every request may run on another thread: use psycopg's pool, not
    # persistent connections (CONN_MAX_AGE stays 0).
    if env_bool("DATABASE_POOL", True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
            "timeout": 10,
        }
    # Two test runs side by side on one server (.ci/run) need a test database each.
    if os.environ.get("DATABASE_TEST_NAME"):
        DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}
else:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    # Every transaction takes the write lock when it begins: two that each read and then
    # write (a change beside a poll that records presence) otherwise dead-lock, and SQLite
    # refuses one at once ("database is locked"), whatever the timeout.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # A file, not memory: browser tests serve the app from a second process (daphne).
    DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}.test"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: Redis in production and CI, in-memory for a single process.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Pub/sub: a group_send is one PUBLISH, and each process subscribes once per group and
    # fans out to its own sockets. RedisChannelLayer's receive loop makes about four sequential
    # Redis round trips per delivered message and tops out near 600 deliveries/s per process
    # (bench/README.md). Both are at-most-once; the kaart never relied on more (seq + heartbeat).
    # Membership lives in the processes, so a Redis restart or FLUSHDB does not wipe it.
    # socket_timeout: redis-py 8 defaults to 5 s, which races channels-redis' 5 s blocking
    # reads; keep it explicit and longer.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 10}],
                "prefix": os.environ.get("CHANNELS_PREFIX", "halenbrengen"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache holds rate-limit counters; shared through Redis when there is one.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CHANNELS_PREFIX", "halenbrengen"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "sessions:dashboard"
LOGOUT_REDIRECT_URL = "home"

# Languages: Dutch first, English complete.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security. Production (DEBUG off) is `check --deploy` clean; the proxy terminates TLS.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "sessions.views.pages.csrf_failure"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy: no inline script, no eval, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The accessibility statement the footer links to: the deploying body's own published statement
# (e.g. in the register of toegankelijkheidsverklaring.nl); empty: the product's own page.
HB_ACCESSIBILITY_STATEMENT_URL = os.environ.get("HB_ACCESSIBILITY_STATEMENT_URL", "")

# Limits of the live kaart (see docs/protocol.md).
HB_WS_MAX_FRAME_BYTES = 64 * 1024
HB_WS_MESSAGES_PER_10S = 50
# A socket whose peer does not read: dropped when this much waits for it (halenbrengen/serve.py).
HB_WS_MAX_BUFFERED_BYTES = 1024 * 1024
HB_WS_SEND_BUFFER_BYTES = 256 * 1024
HB_MAX_TEXT_LENGTH = 2000
# The balance chart and the map on a kaart follow its changes at most once per this many
# seconds, drawn at the end of that window (0: in every change's own push).
HB_PICTURE_DELAY = float(os.environ.get("HB_PICTURE_DELAY", "5"))
# A control room (and the plenary view) draws a changed tafel's line at most once per this many
# seconds, with every tafel that changed meanwhile (0: at every change).
HB_ACTIVITY_DELAY = float(os.environ.get("HB_ACTIVITY_DELAY", "1"))
# A kaart's heartbeat (every 15 s) looks at the person's access again when it was last looked
# at this many seconds ago or more; every change of access rings its own bell, and every edit
# is authorised afresh, so this only catches a bell that was lost.
HB_ACCESS_RECHECK = float(os.environ.get("HB_ACCESS_RECHECK", "60"))
# Threads for the websockets' database work (sessions/consumers/edge.py): several for
# PostgreSQL, whose answers they wait for side by side; one for SQLite, which writes alone.
HB_DB_THREADS = int(
    os.environ.get(
        "HB_DB_THREADS",
        "4" if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" else "1",
    )
)
HB_MAX_ITEMS_PER_KAART = 500
# Rate limits: (attempts, seconds).
HB_JOIN_RATE = (30, 60)  # join-link visits and join forms per address
# Failed logins (sessions/lockout.py): after `free` failures each attempt waits `base` seconds,
# doubling per failure up to `cap`; counts start again `window` seconds after their first failure.
# Per account and address (a success clears it), and per address across all accounts.
HB_LOGIN_BACKOFF_ACCOUNT = {"free": 5, "base": 30, "cap": 15 * 60, "window": 24 * 3600}
HB_LOGIN_BACKOFF_ADDRESS = {"free": 100, "base": 10, "cap": 5 * 60, "window": 24 * 3600}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "daphne": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}
