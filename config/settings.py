"""Settings for Ticket System, read from the environment (and a `.env` file when present).

With no variables set the project runs on one machine: SQLite, the ORM broker for django-q2, console
e-mail and the local AI provider. Every variable is listed in `.env.example`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The fallback key only exists so that a fresh checkout runs; production must set its own.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # unfold must come before django.contrib.admin to take over its templates.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.guardian",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "django_q",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apps.accounts",
    "apps.departments",
    "apps.tickets",
    "apps.notifications",
    "apps.ai",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A logged-in user's language and time zone (after LocaleMiddleware, whose choice it overrides).
    "apps.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite by default. IMMEDIATE transactions and a busy timeout let a few simultaneous users write without
# "database is locked"; PostgreSQL is used whenever DATABASE_URL names it.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Global model permissions of agents follow their role (see apps/accounts/permissions.py).
    "apps.accounts.permissions.RolePermissionBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The portal's log-in page; agents and admins who log in there land in the back office.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:ticket_list"
LOGOUT_REDIRECT_URL = "accounts:login"
# Requesters may create their own account on the portal (off: accounts are made by admins or imports).
PORTAL_SIGNUP_ENABLED = env.bool("PORTAL_SIGNUP_ENABLED", default=False)
# Log-in throttle (apps/accounts/throttling.py): failures per account and per client address within the
# window. Counted in the default cache: per process with local memory; configure a shared cache (Redis or
# the database cache) in production so every process counts together.
LOGIN_ATTEMPTS_LIMIT = env.int("LOGIN_ATTEMPTS_LIMIT", default=5)
LOGIN_ATTEMPTS_ADDRESS_LIMIT = env.int("LOGIN_ATTEMPTS_ADDRESS_LIMIT", default=20)
LOGIN_ATTEMPTS_WINDOW = env.int("LOGIN_ATTEMPTS_WINDOW", default=15 * 60)

# guardian: direct foreign-key permission tables (apps/tickets/models.py) and no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("tr", _("Turkish")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads live under MEDIA_ROOT and are only served through the permission-checked download view:
# there is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ticket System <support@localhost>")

REDIS_URL = env.str("REDIS_URL", default="")

# The cache holds the log-in and API throttle counters, so every process must share it: Redis when
# REDIS_URL is set; otherwise local memory, which is right for one process (`make run`) only.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2: the ORM broker needs no server; with REDIS_URL set, workers share a Redis broker.
# timeout < retry so that a slow task is never started twice; max_attempts is finite.
Q_CLUSTER = {
    "name": "ticket-system",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 60,
    "retry": 120,
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "sync": env.bool("Q_SYNC", default=False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Attachments: limits enforced by apps.tickets.services.attachment_add.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env.list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    default=["pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "log", "csv", "docx", "xlsx", "odt", "zip"],
)
# Request bodies. Every API body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (upload bodies: that plus
# ATTACHMENT_MAX_BYTES) is refused with 413 before it is read (apps/common/api/views.py). Uploaded files
# above Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) are spooled to a temporary file, not kept in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

TICKET_REFERENCE_PREFIX = env.str("TICKET_REFERENCE_PREFIX", default="TCK")

# REST API (/api/): JWT for programs, the session for the browsable API and the docs page.
# Lists are paginated; the safe defaults of every view are in apps/common/api/.
REST_FRAMEWORK = {
    # JWT first: its WWW-Authenticate header makes anonymous requests 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.common.api.pagination.PagePagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=25),
    "DEFAULT_SCHEMA_CLASS": "apps.common.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.common.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_THROTTLE_TOKEN", default="10/minute"),
        "ticket_create": env.str("API_THROTTLE_TICKET_CREATE", default="20/minute"),
        "comment_create": env.str("API_THROTTLE_COMMENT_CREATE", default="30/minute"),
    },
    # How many proxies in front of the app append to X-Forwarded-For. 0: throttles key on the socket's
    # address and ignore the header, so a client cannot escape them by sending a new one each time.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("JWT_REFRESH_TOKEN_HOURS", default=24)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    # HMAC keys under 32 bytes make PyJWT warn; SECRET_KEY is at least that long.
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # A password change revokes every token issued before it.
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ticket System API",
    "DESCRIPTION": (
        "Tickets, their conversation and history, users and departments. Authenticate with a JWT from "
        "`POST /api/token/` (header `Authorization: Bearer <access>`) or with a back-office session."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny"
        if env.bool("API_DOCS_PUBLIC", default=False)
        else "rest_framework.permissions.IsAuthenticated"
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "apps.tickets.choices.Status",
        "TicketPriorityEnum": "apps.tickets.choices.Priority",
        "TicketCategoryEnum": "apps.tickets.choices.Category",
        "TicketSourceEnum": "apps.tickets.choices.Source",
        "EventKindEnum": "apps.tickets.choices.EventKind",
        "RoleEnum": "apps.accounts.choices.Role",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

UNFOLD = {
    "SITE_TITLE": _("Ticket System"),
    "SITE_HEADER": _("Ticket System"),
    "SITE_SYMBOL": "support_agent",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "COLORS": {
        "primary": {
            "50": "oklch(97.7% .014 308.299)",
            "100": "oklch(94.6% .033 307.174)",
            "200": "oklch(90.2% .063 306.703)",
            "300": "oklch(82.7% .119 306.383)",
            "400": "oklch(71.4% .203 305.504)",
            "500": "oklch(62.7% .265 303.9)",
            "600": "oklch(55.8% .288 302.321)",
            "700": "oklch(49.6% .265 301.924)",
            "800": "oklch(43.8% .218 303.724)",
            "900": "oklch(38.1% .176 304.987)",
            "950": "oklch(29.1% .149 302.717)",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Work"),
                "items": [
                    {
                        "title": _("Tickets"),
                        "icon": "confirmation_number",
                        "link": reverse_lazy("admin:tickets_ticket_changelist"),
                        "permission": "apps.accounts.permissions.sidebar_is_staff",
                    },
                    {
                        "title": _("My open tickets"),
                        "icon": "assignment_ind",
                        "link": reverse_lazy("admin:tickets_ticket_changelist"),
                        "link_query": "assignee=me&status__in=new,open,in_progress,waiting",
                        "permission": "apps.accounts.permissions.sidebar_is_staff",
                    },
                    {
                        "title": _("Unassigned"),
                        "icon": "inbox",
                        "link": reverse_lazy("admin:tickets_ticket_changelist"),
                        "link_query": "assignee=none",
                        "permission": "apps.accounts.permissions.sidebar_is_staff",
                    },
                ],
            },
            {
                "title": _("Administration"),
                "collapsible": True,
                "items": [
                    {
                        "title": _("Departments"),
                        "icon": "apartment",
                        "link": reverse_lazy("admin:departments_department_changelist"),
                        "permission": "apps.accounts.permissions.sidebar_is_staff",
                    },
                    {
                        "title": _("Users"),
                        "icon": "group",
                        "link": reverse_lazy("admin:accounts_user_changelist"),
                        "permission": "apps.accounts.permissions.sidebar_is_staff",
                    },
                    {
                        "title": _("Groups"),
                        "icon": "shield_person",
                        "link": reverse_lazy("admin:auth_group_changelist"),
                        "permission": "apps.accounts.permissions.sidebar_is_admin",
                    },
                    {
                        "title": _("Background tasks"),
                        "icon": "schedule",
                        "link": reverse_lazy("admin:django_q_task_changelist"),
                        "permission": "apps.accounts.permissions.sidebar_is_admin",
                    },
                ],
            },
        ],
    },
}
