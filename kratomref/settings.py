"""KratomRef settings, read from the environment (see the table in README.md).

The embedded default is development-friendly: a SQLite file beside manage.py and a
local-memory cache. With DEBUG off (the default) the site refuses to start without a
SECRET_KEY and ALLOWED_HOSTS. PRODUCTION=1 says this is the real site: then it also refuses a
weak SECRET_KEY (Django's own rules), a wildcard host, DEBUG, and a missing DATABASE_URL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is neither on (1, true, yes, on) nor off (0, false, no, off).")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
# The explicit switch for the real site. DEBUG being off is not enough: the test suite runs with
# DEBUG off too, on SQLite, with a throwaway key.
PRODUCTION = env_bool("PRODUCTION", default=False)

DEV_SECRET_KEY = "django-insecure-kratomref-development-only"
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY if DEBUG else "")
# While rotating the key: the previous keys, comma-separated, still accepted for existing sessions.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

if not DEBUG:
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG is off.")

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when PRODUCTION is on.")
    if (
        len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
        or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for production: it needs at least {SECRET_KEY_MIN_LENGTH} characters, "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, and no '{SECRET_KEY_INSECURE_PREFIX}' prefix. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS may not be a wildcard in production; list the site's host names.")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured("DATABASE_URL must point at the production PostgreSQL database.")
    if not os.environ.get("REDIS_URL"):
        raise ImproperlyConfigured(
            "REDIS_URL must point at Redis in production: login throttling, rate limits and the content version "
            "must be shared by every worker and app server."
        )
    for fallback in SECRET_KEY_FALLBACKS:
        if len(fallback) < SECRET_KEY_MIN_LENGTH or fallback.startswith(SECRET_KEY_INSECURE_PREFIX):
            raise ImproperlyConfigured("SECRET_KEY_FALLBACKS holds a weak or development key.")

# The site's public address, for canonical links, citations, structured data and embeds (other
# sites keep these URLs for years). Without it: https://<first ALLOWED_HOSTS entry>, or the dev server.
SITE_URL = (
    os.environ.get("SITE_URL")
    or (f"https://{ALLOWED_HOSTS[0]}" if ALLOWED_HOSTS and not DEBUG else "http://127.0.0.1:8000")
).rstrip("/")
if PRODUCTION and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("SITE_URL must be an https:// address in production.")

INSTALLED_APPS = [
    "kratomref.apps.KratomRefAdminConfig",  # Django's admin, editors with a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",  # /sitemap.xml (evidence/seo.py)
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs' files, served from the app itself (no CDN)
    "corsheaders",
    "simple_history",
    "concurrency",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "evidence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "evidence.middleware.PublicSiteMiddleware",  # before WhiteNoise, so static files get its headers too
    "corsheaders.middleware.CorsMiddleware",  # /api/ only (CORS_URLS_REGEX)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "evidence.middleware.DesignedErrorPagesMiddleware",  # last: development serves the site's own 404
]

# Login throttling: Axes refuses a locked-out username or address before any password is hashed.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Attempts are counted in the shared cache when there is one (Redis), otherwise in the database: a
# per-process cache would let each app server count on its own.
AXES_HANDLER = "axes.handlers." + (
    "cache.AxesCacheHandler" if os.environ.get("REDIS_URL") else "database.AxesDatabaseHandler"
)
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one crossing the limit locks
# A successful sign-in does not wipe the address's failures: they may be guesses at someone else's account.
AXES_RESET_ON_SUCCESS = False
AXES_USERNAME_CALLABLE = "kratomref.security.attempted_username"
AXES_CLIENT_IP_CALLABLE = "kratomref.security.client_ip"
AXES_LOCKOUT_CALLABLE = "kratomref.security.locked_out"
AXES_VERBOSE = False
# One rate limiter for the site (kratomref/ratelimit.py): "requests/seconds" per client address.
RATE_LIMITS = {"search": os.environ.get("RATE_LIMIT_SEARCH", "60/60")}
# Longest a public request's single query may run on PostgreSQL (0: no limit). Set per request, so
# migrations, the admin, exports and restores are never cut short.
PUBLIC_STATEMENT_TIMEOUT_MS = int(os.environ.get("PUBLIC_STATEMENT_TIMEOUT_MS", "3000"))


def git_commit():
    """The checked-out commit (read from .git, no subprocess), or "" outside a git checkout."""
    head = BASE_DIR / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            return (BASE_DIR / ".git" / ref[5:]).read_text().strip()[:12]
        return ref[:12]
    except OSError:
        return ""


# Part of every public page's ETag (evidence/http.py): a deploy that changes templates must change it.
RELEASE_ID = os.environ.get("RELEASE_ID") or git_commit() or "dev"
# Cache-Control for anonymous readers of public pages: seconds a browser or CDN may reuse a page,
# and seconds more it may serve it stale while it asks again. Signed-in curators: private, no-cache.
PAGE_MAX_AGE = int(os.environ.get("PAGE_MAX_AGE", "60"))
PAGE_STALE_WHILE_REVALIDATE = int(os.environ.get("PAGE_STALE_WHILE_REVALIDATE", "300"))
# Seconds an anonymous reader's page (a detail page, a list, the home page) is kept whole in the
# shared cache for the current content version (evidence/page_cache.py); 0 turns the page cache off.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", str(24 * 3600)))
# Each worker also keeps the kept pages it served last (gzipped, up to this many bytes) and rereads
# the content version at most every PAGE_VERSION_RECHECK_SECONDS: an approval made in another worker
# process (on this app server or another) reaches this one's readers that much later
# (evidence/page_cache.py).
PAGE_LOCAL_BYTES = int(os.environ.get("PAGE_LOCAL_BYTES", str(32 * 1024 * 1024)))
PAGE_VERSION_RECHECK_SECONDS = float(os.environ.get("PAGE_VERSION_RECHECK_SECONDS", "1"))
# How long opening an item for review marks it "being reviewed by …" for other curators (soft lock).
DESK_LOCK_MINUTES = int(os.environ.get("DESK_LOCK_MINUTES", "30"))
# Development (DEBUG) shows the site's own 404 and 500 pages, as readers see them; a developer who
# wants Django's technical pages (tracebacks, the URL patterns tried) sets DEBUG_ERROR_PAGES=1.
DEBUG_ERROR_PAGES = env_bool("DEBUG_ERROR_PAGES", default=False)
DEFAULT_EXCEPTION_REPORTER = "evidence.middleware.DesignedErrorReporter"
# Where the curators' admin lives; a less obvious path keeps idle scanners off the login form.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"
# Importing articles (evidence/importing.py): the largest file, pasted page or fetched page accepted,
# in bytes; how long fetching a URL in the admin may wait to connect and for each read, in seconds; and
# whether it may fetch from loopback addresses (tests only: a local server; never in production).
ARTICLE_IMPORT_MAX_BYTES = int(os.environ.get("ARTICLE_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
ARTICLE_FETCH_TIMEOUT = float(os.environ.get("ARTICLE_FETCH_TIMEOUT", "10"))
ARTICLE_FETCH_ALLOW_LOOPBACK = env_bool("ARTICLE_FETCH_ALLOW_LOOPBACK", default=False)
if PRODUCTION and ARTICLE_FETCH_ALLOW_LOOPBACK:
    raise ImproperlyConfigured("ARTICLE_FETCH_ALLOW_LOOPBACK is for tests; production never fetches from loopback.")

ROOT_URLCONF = "kratomref.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "kratomref.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "kratomref.cache.SharedClientRedisCache",  # one Redis client per pool (kratomref/cache.py)
            "LOCATION": os.environ["REDIS_URL"],
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

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A strict policy: no inline scripts or styles anywhere on the public site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if PRODUCTION and not SESSION_COOKIE_SECURE:
    raise ImproperlyConfigured("SECURE_COOKIES may not be off in production: cookies go over HTTPS only.")
if PRODUCTION:
    # __Host- cookies are sent only over HTTPS, to this host, for the whole site: no subdomain can set them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "kratomref.logs.JSONFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if os.environ.get("LOG_FORMAT") == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Open data: the read-only API (/api/v1/), its CORS rule, and dataset releases ------------------
# Any site may read /api/ from a browser (GET, HEAD, OPTIONS; never with credentials); HTML pages
# send no CORS headers.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]

# Dataset releases (manage.py export_dataset / the /data/ page) are stored in the default storage,
# which every app server must read: MEDIA_ROOT on a shared volume, or another storage backend.
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "/media/"

# --- The read-only JSON API (evidence/api/): Django REST framework, its OpenAPI schema and docs -----
# No login, JSON only (no browsable API: the site's CSP forbids its inline scripts). Anonymous
# readers are limited by the site's one rate limiter (kratomref/ratelimit.py) under the name "api".
RATE_LIMITS["api"] = os.environ.get("RATE_LIMIT_API", "300/60")
# Reports a reader may send per address through the form at /report/ (evidence/reports.py).
RATE_LIMITS["report"] = os.environ.get("RATE_LIMIT_REPORT", "5/3600")
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["evidence.api.throttling.ApiRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "evidence.api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "evidence.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KratomRef API",
    "DESCRIPTION": (
        "Read-only open data from KratomRef: claim reviews with their verdict, certainty and evidence, "
        "their numbered versions, studies, reviewed articles (passages as W3C Web Annotations), "
        "substances and warnings. No login; cross-origin reads allowed; anonymous clients are rate "
        "limited (429 with Retry-After). Lists are paged by cursor (follow `next`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    # The docs' files come from the app (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "defaultModelsExpandDepth": 0},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "evidence.api.schema.empty_means_left_out",
    ],
    "ENUM_NAME_OVERRIDES": {
        "Verdict": "evidence.models.choices.Verdict",
        "Certainty": "evidence.models.choices.Certainty",
        "Polarity": "evidence.models.choices.Polarity",
        "Topic": "evidence.models.choices.Topic",
        "Severity": "evidence.models.choices.Severity",
        "Direction": "evidence.models.choices.Direction",
        "Wording": "evidence.models.choices.Wording",
        "StudyDesign": "evidence.models.choices.StudyDesign",
        "Population": "evidence.models.choices.Population",
        "SubstanceKind": "evidence.models.choices.SubstanceKind",
        # The W3C Web Annotation terms of a passage (evidence/api/serializers.py).
        "AnnotationContext": ["http://www.w3.org/ns/anno.jsonld"],
        "AnnotationType": ["Annotation"],
        "AnnotationMotivation": ["assessing"],
        "AnnotationBodyType": ["SpecificResource", "TextualBody"],
        "AnnotationBodyPurpose": ["linking", "assessing"],
        "TextQuoteSelectorType": ["TextQuoteSelector"],
        "TextPositionSelectorType": ["TextPositionSelector"],
    },
}
# Browsers on other sites may read ETag, Retry-After and the next-page Link, and may revalidate.
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Link"]
CORS_ALLOW_HEADERS = ["accept", "accept-language", "content-language", "if-none-match", "if-modified-since"]
