"""Settings shared by every deployment. Everything that differs comes from the environment.

Environment variables (all optional for the embedded demo):
- ``FENGQIAO_VAR_DIR``: folder for the SQLite database, generated keys, media and the huey queue
  (default ``./var``).
- ``DATABASE_URL``: ``sqlite:////abs/path.sqlite3`` or ``postgres://user@host:5432/db``.
- ``REDIS_URL``: when set, huey uses Redis instead of SQLite and Django caches in Redis.
- ``SECRET_KEY``, ``FENGQIAO_DATA_KEY`` (Fernet key for personal data),
  ``FENGQIAO_HASH_KEY`` (keyed hash for exact look-up), ``FENGQIAO_AUDIT_KEY`` (audit chain):
  generated into ``var/keys.json`` for development and the demo, required in production.
- ``DEBUG`` (``1``/``0``), ``ALLOWED_HOSTS`` (comma separated), ``SESSION_AGE_MINUTES``.
- ``FENGQIAO_AUDIT_SEAL`` (``background``/``commit``), ``FENGQIAO_TOKEN_CACHE_SECONDS`` (10),
  ``PG_SERVER_SIDE_BINDING`` (``1``), ``PG_PREPARE_THRESHOLD`` (``5``): see docs/operations.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from fengqiao.core.keys import load_or_create_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FENGQIAO_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, minimum: int) -> int:
    """A whole number from the environment, refused at start-up when it is none or too small."""
    try:
        value = int(os.environ.get(name, str(default)))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}")
    return value


DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

KEYS = load_or_create_keys(VAR_DIR, allow_generate=env_bool("FENGQIAO_GENERATE_KEYS", True))
SECRET_KEY = KEYS["SECRET_KEY"]
FENGQIAO_DATA_KEY = KEYS["FENGQIAO_DATA_KEY"]
FENGQIAO_HASH_KEY = KEYS["FENGQIAO_HASH_KEY"]
FENGQIAO_AUDIT_KEY = KEYS["FENGQIAO_AUDIT_KEY"]

INSTALLED_APPS = [
    "django.contrib.admin",
    # before django.contrib.auth: its createsuperuser (an admin role, the password rules, an
    # audit record) is the one `fengqiao createsuperuser` runs
    "fengqiao.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "huey.contrib.djhuey",
    "fengqiao.core",
    "fengqiao.areas",
    "fengqiao.workcal",
    "fengqiao.events",
    "fengqiao.mediation",
    "fengqiao.triage",
    "fengqiao.evaluation",
    "fengqiao.grid",
    "fengqiao.tasks",
    "fengqiao.population",
    "fengqiao.patrols",
    "fengqiao.alerts",
    "fengqiao.web",
    "fengqiao.demo",
]

# The message storage is set up for pages only: requests to /api/ and /open311/ skip it
# (fengqiao.core.middleware).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fengqiao.core.middleware.RequestContextMiddleware",
    "fengqiao.core.middleware.MessagesForPages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "fengqiao.core.middleware.SecurityHeadersMiddleware",
    "fengqiao.core.middleware.RefuseNulMiddleware",
    "fengqiao.core.middleware.BusyDatabaseMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fengqiao.urls"
WSGI_APPLICATION = "fengqiao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fengqiao.web.context.nav",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fengqiao.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # persistent per-thread connections: opening the file and running its PRAGMAs on every
    # request showed high in profiles of SQLite intake
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000;"
        ),
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("PG_SERVER_SIDE_BINDING", True):
    # Parameters bound by the server, and statements prepared once a connection has run them
    # PG_PREPARE_THRESHOLD times (psycopg 3; Django's default, None, never prepares): the hot
    # statements (intake's inserts) are then parsed and planned once per connection, which
    # takes a quarter off PostgreSQL's CPU per intake. "off" disables it (e.g. behind a
    # connection pooler in transaction mode older than PgBouncer 1.21).
    _prepare = os.environ.get("PG_PREPARE_THRESHOLD", "5").strip().lower()
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=None if _prepare in {"off", "none", ""} else int(_prepare))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool("PG_JIT", False):
    # No JIT compilation (ADR 0017): PostgreSQL compiles a query whose *estimated* cost passes
    # jit_above_cost, and the evaluation's few grouped queries over a registry or a year of
    # matters are estimated high but run in tens of milliseconds; compiling them took 0.4 s.
    # PG_JIT=1 leaves the server's own setting.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Sessions expire after inactivity (等保: idle timeout) and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_AGE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# django-axes: lock an account+address after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
VENDOR_DIR = VAR_DIR / "vendor"
VENDOR_DIR.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [VENDOR_DIR]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
WHITENOISE_USE_FINDERS = False

REDIS_URL = os.environ.get("REDIS_URL", "")
# "utc": False: periodic tasks' crontabs (the nightly analyse at 03:17, the retraining at 02:43)
# are read in TIME_ZONE, the process's local time (Django sets TZ), not in UTC. Nothing is
# scheduled with an ETA, so the setting changes nothing else.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "fengqiao",
        "url": REDIS_URL,
        "immediate": False,
        "utc": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "fengqiao",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
        "utc": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fengqiao.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["fengqiao.core.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "fengqiao.core.permissions.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": [
        "fengqiao.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "fengqiao.core.filters.FilterBackend",
        "fengqiao.core.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "fengqiao.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fengqiao API",
    "DESCRIPTION": "枫桥 — grassroots social governance. All reads are restricted to the caller's jurisdiction.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["fengqiao.core.schema.drop_slash_duplicates"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fengqiao.core.schema.document_errors",
    ],
    # choice sets that share a field name (level, state, status …) get names of their own
    "ENUM_NAME_OVERRIDES": {
        "AreaLevelEnum": "fengqiao.areas.models.Level",
        "MediatorLevelEnum": "fengqiao.mediation.choices.MediatorLevel",
        "EventStateEnum": "fengqiao.events.choices.State",
        "DisputeStateEnum": "fengqiao.mediation.choices.State",
        "DisputeSourceEnum": "fengqiao.mediation.choices.Source",
        "DisputeOutcomeEnum": "fengqiao.mediation.choices.Outcome",
        "HearingOutcomeEnum": "fengqiao.mediation.choices.HearingOutcome",
        "SessionStatusEnum": "fengqiao.mediation.choices.SessionStatus",  # also a hearing's
        "TicketStatusEnum": "fengqiao.mediation.choices.TicketStatus",
        "BacklogStatusEnum": "fengqiao.mediation.choices.BacklogStatus",
        "AlertStateEnum": "fengqiao.alerts.choices.State",
        "AlertLevelEnum": "fengqiao.alerts.choices.Level",
        "AlertKindEnum": "fengqiao.alerts.choices.Kind",
        "AlertActionEnum": "fengqiao.alerts.transitions.ACTIONS",
        "KeyPersonCategoryEnum": "fengqiao.grid.choices.KeyPersonCategory",
        "VisitMethodEnum": "fengqiao.grid.choices.VisitMethod",
        "VisitConditionEnum": "fengqiao.grid.choices.Condition",
        "AttachmentKindEnum": "fengqiao.events.choices.AttachmentKind",
        "TaskKindEnum": "fengqiao.tasks.choices.Kind",
        "TaskStateEnum": "fengqiao.tasks.choices.State",
        "ReceiptStateEnum": "fengqiao.tasks.choices.ReceiptState",
        "TaskActionEnum": "fengqiao.tasks.transitions.TASK_ACTIONS",
        "ReceiptActionEnum": "fengqiao.tasks.transitions.RECEIPT_ACTIONS",
        "CheckPointKindEnum": "fengqiao.grid.choices.CheckPointKind",
        "InspectionOutcomeEnum": "fengqiao.grid.choices.InspectionOutcome",
        "HouseKindEnum": "fengqiao.population.choices.HouseKind",
        "ResidentKindEnum": "fengqiao.population.choices.ResidentKind",
        "StayReasonEnum": "fengqiao.population.choices.StayReason",
        "PermitDueEnum": "fengqiao.population.choices.PermitDue",
        "MoveOutReasonEnum": "fengqiao.population.choices.MoveOutReason",
        "PatrolEndReasonEnum": "fengqiao.patrols.choices.EndReason",
        "PatrolStateEnum": "fengqiao.patrols.choices.PatrolState",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "fengqiao.core.logging.JsonFormatter"}},
    "filters": {"mask": {"()": "fengqiao.core.logging.MaskPersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["mask"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # One handler of our own: huey's consumer adds a plain-text handler of its own when
        # the "huey" logger has none, and every worker line came out twice (text and JSON).
        "huey": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}

# Optional map tiles (e.g. a county's own tile server); maps work without any.
FENGQIAO_TILE_URL = os.environ.get("FENGQIAO_TILE_URL", "")

# Triage (精准识别): place resolution through the gazetteer and grid polygons on intake;
# auto-dispatch stays off unless a centre sets a confidence (e.g. 0.9).
FENGQIAO_PLACE_RESOLVER = "fengqiao.triage.service.resolve_area"
FENGQIAO_TRIAGE_ON_INTAKE = env_bool("FENGQIAO_TRIAGE_ON_INTAKE", True)
# The worker retrains the category model at 02:43 once this many matters gained a label or were
# closed with a category since the last model trained from the database; the new model is put to
# use only when it beats the one in use on at least 50 held-out matters (docs/triage.md).
FENGQIAO_TRIAGE_RETRAIN = env_bool("FENGQIAO_TRIAGE_RETRAIN", True)
FENGQIAO_TRIAGE_RETRAIN_MIN_NEW = env_int("FENGQIAO_TRIAGE_RETRAIN_MIN_NEW", 200, minimum=1)
# A retraining from the database reads at most this many matters: the operators' labels first,
# then the newest closed matters (its time and memory grow faster than its rows).
FENGQIAO_TRIAGE_MAX_TRAIN_ROWS = env_int("FENGQIAO_TRIAGE_MAX_TRAIN_ROWS", 30000, minimum=100)
# Audit records join the hash chain after commit: "background" (a sealer thread per process,
# in batches) or "commit" (the committing thread, at once). See docs/adr/0010.
FENGQIAO_AUDIT_SEAL = os.environ.get("FENGQIAO_AUDIT_SEAL", "background")
if FENGQIAO_AUDIT_SEAL not in {"background", "commit"}:
    raise ImproperlyConfigured("FENGQIAO_AUDIT_SEAL must be 'background' or 'commit'")
# How long a process trusts an API token it has seen (a revoked token or a deactivated user
# stops working in every process within this many seconds; 0 = look it up on every request).
FENGQIAO_TOKEN_CACHE_SECONDS = int(os.environ.get("FENGQIAO_TOKEN_CACHE_SECONDS", "10"))
_auto = os.environ.get("FENGQIAO_AUTO_DISPATCH_CONFIDENCE", "")
FENGQIAO_AUTO_DISPATCH_CONFIDENCE = float(_auto) if _auto else None

# Audit records must be kept at least this long (DOMAIN.md: six months).
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "400"))
