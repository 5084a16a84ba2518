"""Settings for Ticket System, read from the environment (and a `.env` file when present).

With no variables set the project runs on one machine: SQLite, the ORM broker for django-q2, console
e-mail and the local AI provider. Every variable is listed in `.env.example`. The sections below are marked
by comment headings; the back office's theme and sidebar (UNFOLD), which read no variables, are in
config/unfold.py.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from apps.common.security import require_production_secret_key
from config import unfold

# Environment, debug, secret key, hosts --------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# DJANGO_ENV=production is a server's one switch: it requires a strong SECRET_KEY and ALLOWED_HOSTS and turns on
# the secure settings of the "Production" block below, under which `manage.py check --deploy` is clean.
PRODUCTION = env.str("DJANGO_ENV", default="development") == "production"
DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")
# The fallback key only exists so that a fresh checkout runs; production refuses it, and any short key.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-0123456789abcdef"  # noqa: S105 (refused in production)
SECRET_KEY = env.str("SECRET_KEY", default="") or ("" if PRODUCTION else DEVELOPMENT_SECRET_KEY)
if PRODUCTION:
    require_production_secret_key(SECRET_KEY, development_key=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ENV=production requires ALLOWED_HOSTS: the site's host names, comma-separated.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Applications, middleware, URLs, templates ----------------------------------------------------------------------------
INSTALLED_APPS = [
    # unfold must come before django.contrib.admin to take over its templates. Its plain app config: the admin
    # site is ours (config/admin_site.py, below in place of django.contrib.admin).
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.inlines",
    "unfold.contrib.guardian",
    "unfold.contrib.import_export",
    "config.admin_site.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "django_q",
    "import_export",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Two-factor authentication of staff (apps/accounts/two_factor.py): TOTP devices and recovery codes. Before
    # apps.accounts, whose admin module takes django-otp's device pages out of the back office.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "apps.audit",
    "apps.accounts",
    "apps.departments",
    "apps.tickets",
    "apps.notifications",
    "apps.ai",
    "apps.mail",
    "anymail",
    "apps.integrations",
    "apps.macros",
    "apps.reports",
    "apps.knowledge",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (apps/common/security.py; whitenoise goes before it in production).
    "apps.common.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): has this session passed a second factor (django-otp)?
    "django_otp.middleware.OTPMiddleware",
    # The current request, for the audit log's "who" and "from where" (apps/audit/context.py).
    "apps.audit.context.AuditRequestMiddleware",
    # A logged-in user's language and time zone (after LocaleMiddleware, whose choice it overrides).
    "apps.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # With STAFF_2FA_REQUIRED, back-office pages send staff without a verified second factor to /admin/2fa/.
    "apps.accounts.middleware.StaffTwoFactorMiddleware",
    # A signed-in requester opening /admin/ is sent to the portal with a message.
    "apps.accounts.middleware.RequesterAdminRedirectMiddleware",
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
            # apps.common is no installed app: its tags are named here. {% kept %}: a part of a page rendered once.
            "libraries": {"kept": "apps.common.templatetags.kept"},
        },
    },
]
# Django's form renderer, keeping the HTML of widgets whose context is plain values (apps/common/widget_rendering.py).
FORM_RENDERER = "apps.common.widget_rendering.KeptWidgetRenderer"

# Database -------------------------------------------------------------------------------------------------------------
# SQLite by default. IMMEDIATE transactions and a busy timeout let a few simultaneous users write without
# "database is locked"; PostgreSQL is used whenever DATABASE_URL names it (empty, as in .env.example: SQLite).
_database_url = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(_database_url)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if not env.bool("POSTGRES_JIT", default=False):
        # PostgreSQL compiles queries it estimates as costly (a search over many matches) with JIT, which takes
        # about 50 ms per query, more than such a query then runs (docs/benchmarks.md): off for our sessions.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
# A PostgreSQL streaming replica for list and report reads (apps/common/replicas.py; docs/DEPLOYMENT.md): off
# unless DATABASE_REPLICA_URL is set. GET requests whose path matches DATABASE_REPLICA_PATHS read there; a
# client that wrote within DATABASE_REPLICA_PIN_SECONDS reads from the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
DATABASE_REPLICA_PATHS = env.str("DATABASE_REPLICA_PATHS", default="") or (
    r"^/api/tickets/?$|^/api/(stats|reports)(/|$)|^/admin/$|^/admin/tickets/ticket/$|^/admin/reports(/|$)"
)
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        # Tests read the test database through the replica (streamed from the primary), never create one there.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["apps.common.replicas.ReplicaRouter"]
    MIDDLEWARE.insert(1, "apps.common.replicas.ReplicaReadsMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Accounts: users, log-in, permissions ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's ModelBackend, refusing agents' and admins' passwords when STAFF_PASSWORD_LOGIN is off.
    "apps.accounts.backends.PasswordBackend",
    # Single sign-on (OpenID Connect); it signs no one in while OIDC_ENABLED is off (apps/accounts/oidc/).
    "apps.accounts.oidc.backend.OIDCBackend",
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
# Password-reset e-mails per e-mail address and per client address within the window (seconds); past a limit
# nothing is sent and the page answers as usual (apps/accounts/throttling.py).
PASSWORD_RESET_EMAIL_LIMIT = env.int("PASSWORD_RESET_EMAIL_LIMIT", default=3)
PASSWORD_RESET_ADDRESS_LIMIT = env.int("PASSWORD_RESET_ADDRESS_LIMIT", default=10)
PASSWORD_RESET_WINDOW = env.int("PASSWORD_RESET_WINDOW", default=60 * 60)
# Two-factor authentication (apps/accounts/two_factor.py). On (the default in production), agents and admins must
# pass a second factor (an authenticator app's code, or a recovery code) once per session before any back-office
# page, and staff with a device must send `otp` to POST /api/token/. Off, staff may still turn it on themselves.
# Empty (as in .env.example) means the default.
STAFF_2FA_REQUIRED = env.bool("STAFF_2FA_REQUIRED") if env.str("STAFF_2FA_REQUIRED", default="") else PRODUCTION
# The name authenticator apps show beside the account.
TWO_FACTOR_ISSUER = env.str("TWO_FACTOR_ISSUER", default="") or "Ticket System"
OTP_TOTP_ISSUER = TWO_FACTOR_ISSUER
# django-otp's device admin pages are not registered (apps/accounts/admin.py); hide secrets anyway if they were.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Single sign-on with OpenID Connect (mozilla-django-oidc; apps/accounts/oidc/, docs/DEPLOYMENT.md). Off by default.
# The endpoints come from the issuer's discovery document (fetched on first use and cached for
# OIDC_DISCOVERY_CACHE_SECONDS), unless set explicitly. ID tokens must be signed with RS256 by the provider's keys.
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=False)
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_DISCOVERY_CACHE_SECONDS = env.int("OIDC_DISCOVERY_CACHE_SECONDS", default=60 * 60)
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
# State and nonce are checked on every callback; PKCE (S256) on as well (providers that do not know it ignore it).
OIDC_USE_NONCE = True
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
# Seconds to wait for the provider (token, user info, keys, discovery).
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
# The claim holding the person's groups or roles, and which value gives which role (value=role, comma-separated;
# the highest role matched wins, no match: requester). Empty claim: roles are managed here, not by the provider.
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="")
OIDC_ROLE_MAP = env.dict("OIDC_ROLE_MAP", default={})
# The claim naming the person's departments, and which value means which department (value=department slug).
OIDC_DEPARTMENT_CLAIM = env.str("OIDC_DEPARTMENT_CLAIM", default="")
OIDC_DEPARTMENT_MAP = env.dict("OIDC_DEPARTMENT_MAP", default={})
# Create an account on the first sign-on (false: only people who already have an account may sign on).
OIDC_CREATE_USER = env.bool("OIDC_CREATE_USERS", default=True)
# The label of the single sign-on button on the log-in pages.
OIDC_LOGIN_LABEL = env.str("OIDC_LOGIN_LABEL", default="")
# mozilla-django-oidc's names for our URLs (apps/accounts/oidc/urls.py); log-out stays the site's own.
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc:callback"
# false: agents and admins may not log in with a local password anywhere (portal, back office, POST /api/token/);
# they sign in with single sign-on. Requesters keep their passwords.
STAFF_PASSWORD_LOGIN = env.bool("STAFF_PASSWORD_LOGIN", default=True)

# guardian: direct foreign-key permission tables (apps/tickets/models.py) and no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# Languages and time zones ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("tr", _("Turkish")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Static files, uploads and storage ------------------------------------------------------------------------------------
STATIC_URL = "static/"
# An empty variable (as in .env.example) means the default, for the paths and the mode-dependent switches below.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads go through Django's storage API (STORAGES["default"]) and are only served through the
# permission-checked download views: there is deliberately no MEDIA_URL route, and a bucket stays private.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or BASE_DIR / "media")
MEDIA_URL = "/media-not-served/"
# STORAGE_BACKEND=filesystem: files under MEDIA_ROOT. STORAGE_BACKEND=s3: an S3-compatible object store through
# django-storages (`pip install ".[s3]"`); keys left unset fall back to boto3's own chain (an instance role).
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="") or "filesystem"
if STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    if not env.str("AWS_STORAGE_BUCKET_NAME", default=""):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 requires AWS_STORAGE_BUCKET_NAME.")
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "location": env.str("AWS_LOCATION", default=""),
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,  # the bucket's own (private); never public-read
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}.")
STORAGES = {
    "default": _default_storage,
    # Production replaces this with whitenoise's hashed, compressed files (the "Production" block).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail ---------------------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ticket System <support@localhost>")
# SMTP (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend), and the folder of the file-based backend.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))
# The address of the site as people reach it, for the links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# The e-mail channel (apps/mail): tickets and replies by e-mail --------------------------------------------------------
# The key that encrypts mailbox passwords (Fernet, derived from it); empty: SECRET_KEY. Changing it makes the stored
# passwords unreadable: enter them again.
MAIL_SECRET_KEY = env.str("MAIL_SECRET_KEY", default="")
# A message larger than this is recorded as rejected, not read.
MAIL_MAX_BYTES = env.int("MAIL_MAX_BYTES", default=25 * 1024 * 1024)
# More messages than this from one sender within an hour are recorded and not turned into tickets (mail loops).
MAIL_MAX_PER_SENDER_PER_HOUR = env.int("MAIL_MAX_PER_SENDER_PER_HOUR", default=20)
# A sender without an account gets a requester account (no password: "forgot password"); off: rejected.
MAIL_CREATE_REQUESTERS = env.bool("MAIL_CREATE_REQUESTERS", default=True)
# A reply from someone who may not write on the ticket it names: a new ticket of theirs (on) or rejected (off).
MAIL_UNKNOWN_REPLY_NEW_TICKET = env.bool("MAIL_UNKNOWN_REPLY_NEW_TICKET", default=True)
# The sender of a message refused by the two settings above gets one polite automatic answer (at most one a day).
MAIL_REFUSAL_REPLY = env.bool("MAIL_REFUSAL_REPLY", default=True)
# The stored bytes of handled incoming messages are dropped after this many days (0: kept); the mail log's entries
# stay (they keep a message from being handled twice and thread later replies); failed ones keep their bytes.
MAIL_RAW_RETENTION_DAYS = env.int("MAIL_RAW_RETENTION_DAYS", default=90)
# Senders refused outright: whole addresses (spam@example.com) or domains (example.net), comma-separated.
MAIL_BLOCKED_SENDERS = env.list("MAIL_BLOCKED_SENDERS", default=[])
# At most this many Cc addresses of one message become watchers.
MAIL_MAX_WATCHERS = env.int("MAIL_MAX_WATCHERS", default=10)
# IMAP polling (every minute, by the workers): seconds before a silent server is given up, messages per poll.
# Files of a public reply sent with its e-mail, in total; larger ones are named, to download from the ticket.
MAIL_ATTACHMENTS_MAX_BYTES = env.int("MAIL_ATTACHMENTS_MAX_BYTES", default=5 * 1024 * 1024)
# Inbound webhooks of e-mail services (django-anymail): Basic-auth credentials the service sends ("user:password",
# comma-separated to rotate), and Mailgun's webhook signing key. Without either, the webhook URLs do not exist.
MAIL_WEBHOOK_SECRET = env.list("MAIL_WEBHOOK_SECRET", default=[])
MAIL_MAILGUN_SIGNING_KEY = env.str("MAIL_MAILGUN_SIGNING_KEY", default="")
MAIL_INBOUND_WEBHOOKS = bool(MAIL_WEBHOOK_SECRET or MAIL_MAILGUN_SIGNING_KEY)
ANYMAIL = {"WEBHOOK_SECRET": MAIL_WEBHOOK_SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAIL_MAILGUN_SIGNING_KEY}
MAIL_IMAP_TIMEOUT = env.int("MAIL_IMAP_TIMEOUT", default=30)
MAIL_IMAP_BATCH = env.int("MAIL_IMAP_BATCH", default=200)

# Cache and background workers (django-q2) -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

# The cache holds the log-in and API throttle counters, so every process must share it: Redis when
# REDIS_URL is set; otherwise local memory, which is right for one process (`make run`) only.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# What decides a user's access (their model permissions; an agent's groups and departments) is kept in the cache
# between requests, and every change replaces it at once (apps/accounts/selectors.py): only where every process
# shares the cache, so that a change made by another process (the worker, a management command) is seen too. With
# the local-memory cache it is read on every request. Empty: on with REDIS_URL.
ACCESS_KEPT_IN_CACHE = (
    env.bool("ACCESS_KEPT_IN_CACHE") if env.str("ACCESS_KEPT_IN_CACHE", default="") else bool(REDIS_URL)
)
# Sessions: read from the shared cache with REDIS_URL (written to the database as well, which stays their record),
# from the database otherwise. Not from a per-process cache: a session ended in one process would live on in another.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"

# django-q2: the ORM broker needs no server; with REDIS_URL set, workers share a Redis broker.
# timeout < retry so that a slow task is never started twice; max_attempts is finite.
Q_CLUSTER = {
    # Web processes queue to, and workers serve, the cluster of this name (also the salt of signed tasks): two
    # deployments sharing one Redis keep apart by name. django-q2 reads Q_CLUSTER_NAME itself as well; reading it
    # here keeps both the same (otherwise django-q2 would look for an ALT_CLUSTERS setting).
    "name": env.str("Q_CLUSTER_NAME", default="ticket-system"),
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

# Notifications and SLAs -----------------------------------------------------------------------------------------------
# Notifications (apps/notifications): in-app and e-mail, each person choosing per kind. Off: events are still
# recorded, nobody is told. Browsers poll the unread counter every NOTIFICATIONS_POLL_SECONDS.
NOTIFICATIONS_ENABLED = env.bool("NOTIFICATIONS_ENABLED", default=True)
NOTIFICATIONS_POLL_SECONDS = env.int("NOTIFICATIONS_POLL_SECONDS", default=10)
# A requester's status-change e-mails wait until their ticket has been quiet this long, then go as one e-mail
# (a scheduled task checks every minute); 0 sends each at once. In-app notifications are never held back.
NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS = env.int("NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS", default=180)
# SLAs (apps/tickets/sla.py): a running target due within this many minutes is "breaching soon" (badge, filter,
# one warning notification); the check runs every minute in the workers.
SLA_WARNING_MINUTES = env.int("SLA_WARNING_MINUTES", default=30)
# Resolved tickets are closed (as the system, the requester told) this many days after they were resolved, by an
# hourly worker task; 0 turns it off.
TICKET_AUTO_CLOSE_DAYS = env.int("TICKET_AUTO_CLOSE_DAYS", default=7)

# Knowledge base and satisfaction (apps/knowledge) ---------------------------------------------------------------------
# The portal's Help pages are open to anonymous visitors (public articles only) unless KNOWLEDGE_REQUIRE_LOGIN; the
# new-ticket page suggests up to KNOWLEDGE_SUGGESTIONS articles. A resolved ticket's requester is asked for a rating
# (CSAT_ENABLED) on CSAT_SCALE "five" (1 to 5) or "binary" (good/bad); the e-mail's links expire after
# CSAT_LINK_MAX_AGE_DAYS days and work once.
KNOWLEDGE_REQUIRE_LOGIN = env.bool("KNOWLEDGE_REQUIRE_LOGIN", default=False)
KNOWLEDGE_SUGGESTIONS = env.int("KNOWLEDGE_SUGGESTIONS", default=5)
CSAT_ENABLED = env.bool("CSAT_ENABLED", default=True)
CSAT_SCALE = env.str("CSAT_SCALE", default="five")
CSAT_LINK_MAX_AGE_DAYS = env.int("CSAT_LINK_MAX_AGE_DAYS", default=14)

# AI -------------------------------------------------------------------------------------------------------------------
# AI (apps/ai): triage of new tickets and translation. AI_PROVIDER is local (offline: language detection,
# English sentiment, keyword categories, no translation), google (Cloud Natural Language v2 + Translation v3)
# or disabled. Every Google call has a timeout and retries (503/429 only) stop after AI_RETRY_DEADLINE seconds;
# triage makes three calls, so 3 × (AI_TIMEOUT + AI_RETRY_DEADLINE) stays below the workers' task timeout (60 s).
AI_PROVIDER = env.str("AI_PROVIDER", default="local")
# Languages the local detector tells apart (ISO 639-1). Each costs memory (all 75 take ~1 GB), so keep the list
# to the languages your requesters write in: the site's three and the commonest others.
AI_DETECT_LANGUAGES = env.list("AI_DETECT_LANGUAGES", default=["en", "tr", "de", "fr", "es", "pt"])
AI_TRIAGE_ENABLED = env.bool("AI_TRIAGE_ENABLED", default=True)
# A failed triage is tried again by a scheduled task (every 10 minutes, AI_TRIAGE_RETRY_BATCH tickets at a time,
# never while the circuit breaker is open) until it has made AI_TRIAGE_MAX_ATTEMPTS attempts.
AI_TRIAGE_MAX_ATTEMPTS = env.int("AI_TRIAGE_MAX_ATTEMPTS", default=5)
AI_TRIAGE_RETRY_BATCH = env.int("AI_TRIAGE_RETRY_BATCH", default=50)
# Triage analyses at most this many characters of "title + description" (local detection grows quickly with
# the length of the text), so one long ticket cannot hold a worker for minutes.
AI_MAX_ANALYSED_CHARS = env.int("AI_MAX_ANALYSED_CHARS", default=5000)
AI_TIMEOUT = env.float("AI_TIMEOUT", default=5.0)
AI_RETRY_DEADLINE = env.float("AI_RETRY_DEADLINE", default=10.0)
# Circuit breaker (apps/ai/breaker.py): AI_BREAKER_FAILURES consecutive provider failures within
# AI_BREAKER_WINDOW seconds stop all calls for AI_BREAKER_COOLDOWN seconds (triage fails at once, translation
# answers "try again later"); then one trial call decides. 0 failures: no breaker. Its state is in the cache:
# shared by all processes with REDIS_URL, per process with the local-memory cache.
AI_BREAKER_FAILURES = env.int("AI_BREAKER_FAILURES", default=5)
AI_BREAKER_WINDOW = env.int("AI_BREAKER_WINDOW", default=60)
AI_BREAKER_COOLDOWN = env.int("AI_BREAKER_COOLDOWN", default=60)
# Learning triage (apps/ai/learning): models trained nightly (and by `manage.py train_triage`) on resolved tickets.
# A class (a department, category or priority) takes part once it has AI_LEARN_MIN_PER_CLASS labelled training
# tickets; a new model is used only when it beats the one in use on held-out tickets. It learns from the newest
# AI_LEARN_MAX_TICKETS resolved tickets (bounds time and memory: docs/benchmarks.md). The last
# AI_LEARN_KEEP_VERSIONS models per target are kept. A ticket that routing sent to the default department is moved
# to the suggested one only when the suggestion's probability is at least AI_ROUTE_MIN_CONFIDENCE (0 to 1).
AI_LEARN_MIN_PER_CLASS = env.int("AI_LEARN_MIN_PER_CLASS", default=20)
AI_LEARN_MAX_TICKETS = env.int("AI_LEARN_MAX_TICKETS", default=100_000)
AI_LEARN_KEEP_VERSIONS = env.int("AI_LEARN_KEEP_VERSIONS", default=3)
AI_ROUTE_MIN_CONFIDENCE = env.float("AI_ROUTE_MIN_CONFIDENCE", default=0.6)
GOOGLE_APPLICATION_CREDENTIALS = env.str("GOOGLE_APPLICATION_CREDENTIALS", default="")
GOOGLE_API_KEY = env.str("GOOGLE_API_KEY", default="")
GOOGLE_CLOUD_PROJECT = env.str("GOOGLE_CLOUD_PROJECT", default="")
GOOGLE_CLOUD_LOCATION = env.str("GOOGLE_CLOUD_LOCATION", default="global")
# Empty: Google's own endpoints. Set it to talk to another endpoint (a proxy, or a local fake in tests).
GOOGLE_API_ENDPOINT = env.str("GOOGLE_API_ENDPOINT", default="")

# Integrations: webhooks -----------------------------------------------------------------------------------------------
# Webhooks (apps/integrations): signed deliveries of ticket events. Off: nothing is queued or sent.
WEBHOOKS_ENABLED = env.bool("WEBHOOKS_ENABLED", default=True)
# true lets endpoints resolve to loopback, private, link-local or reserved addresses (a test receiver, an intranet
# service); false (the default) refuses them at send time, after DNS resolution.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# Seconds to wait for an endpoint (to connect, then for each read); redirects are never followed.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
# How many bytes of an endpoint's answer the delivery log keeps.
WEBHOOK_RESPONSE_BYTES = env.int("WEBHOOK_RESPONSE_BYTES", default=1024)
# Seconds one worker task spends sending an event's deliveries (one after the other); those not tried by then are
# left to the retry sweep (every minute). With WEBHOOK_TIMEOUT it bounds a task below the workers' 60 s timeout.
WEBHOOK_TASK_SECONDS = env.int("WEBHOOK_TASK_SECONDS", default=20)
# An endpoint whose deliveries keep failing for this many seconds is disabled and its owner e-mailed.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=24 * 60 * 60)
# The Fernet key that encrypts webhook signing secrets at rest (`Fernet.generate_key()`). Empty: derived from
# SECRET_KEY (changing SECRET_KEY then needs new webhook secrets).
WEBHOOK_ENCRYPTION_KEY = env.str("WEBHOOK_ENCRYPTION_KEY", default="")

# Tickets: attachments, request bodies, references ---------------------------------------------------------------------
# Attachments: limits enforced by apps.tickets.services.attachment_add.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# For how long (seconds) the author of a comment may still edit or delete it (apps/tickets/permissions.py).
COMMENT_EDIT_WINDOW = env.int("COMMENT_EDIT_WINDOW", default=15 * 60)
ATTACHMENT_ALLOWED_EXTENSIONS = env.list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    default=["pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "log", "csv", "docx", "xlsx", "odt", "zip"],
)
# Request bodies. Every API body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (upload bodies: that plus
# ATTACHMENT_MAX_BYTES) is refused with 413 before it is read (apps/common/api/views.py). Uploaded files
# above Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) are spooled to a temporary file, not kept in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

TICKET_REFERENCE_PREFIX = env.str("TICKET_REFERENCE_PREFIX", default="TCK")

# REST API: DRF, JWT, OpenAPI ------------------------------------------------------------------------------------------
# REST API (/api/): JWT for programs, the session for the browsable API and the docs page.
# Lists are paginated; the safe defaults of every view are in apps/common/api/.
REST_FRAMEWORK = {
    # API keys first (a `Bearer tsk_...` value is a key, not a JWT), then JWT; both answer anonymous requests with
    # the same WWW-Authenticate header, so they are 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.integrations.api.authentication.ApiKeyAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        # The session, for the browsable API and the docs page (refused for staff who owe their second factor).
        "apps.accounts.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's JSONParser, with a body nested too deeply to parse refused as a 400 instead of a 500.
    "DEFAULT_PARSER_CLASSES": ["apps.common.api.parsers.SafeJSONParser"],
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

# For how long (seconds) a POST's Idempotency-Key keeps its first answer (apps/common/api/idempotency.py).
IDEMPOTENCY_KEY_TTL = env.int("API_IDEMPOTENCY_KEY_TTL", default=24 * 60 * 60)

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

# The schema and Swagger UI for everyone; otherwise for logged-in users (anonymous visitors of /api/docs/ are sent
# to the log-in page).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)

SPECTACULAR_SETTINGS = {
    "TITLE": "Ticket System API",
    "DESCRIPTION": (
        "Tickets, their conversation and history, users and departments. Authenticate with a JWT from "
        "`POST /api/token/` (header `Authorization: Bearer <access>`), with an API key "
        "(`Authorization: Bearer tsk_...`) or with a back-office session."
    ),
    "VERSION": "1.0.0",
    "SCHEMA_PATH_PREFIX": "/api/",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": [
        "rest_framework.permissions.AllowAny" if API_DOCS_PUBLIC else "rest_framework.permissions.IsAuthenticated"
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Enum components (drf-spectacular's default hook), the strictness the server enforces (closed request bodies,
    # unique array parameters), then the OpenAPI links between operations.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.common.api.schema.postprocess_strictness",
        "apps.common.api.schema.postprocess_links",
    ],
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
        "AuditActionEnum": "apps.audit.models.Action",
        "MacroScopeEnum": "apps.macros.choices.Scope",
        "MacroAssignEnum": "apps.macros.choices.AssignTo",
        "ArticleAudienceEnum": "apps.knowledge.choices.Audience",
        "WebhookEventEnum": "apps.integrations.choices.WebhookEvent",
        # The codes a ticket's language may take (apps/tickets/api/serializers.py ticket_languages).
        "TicketLanguageEnum": sorted({code for code, _name in LANGUAGES} | set(AI_DETECT_LANGUAGES)),
        # The site's languages (a user's, an article's).
        "SiteLanguageEnum": LANGUAGES,
    },
}

# Security (production switches and the defaults everywhere) -----------------------------------------------------------
# Production (DJANGO_ENV=production): HTTPS only, secure cookies, HSTS, static files served by whitenoise under
# hashed names (run `collectstatic` on deploy). Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER to the
# header the proxy sets (X-Forwarded-Proto; the proxy must overwrite it on every request), so that Django knows
# which requests came over HTTPS. The health probes skip the redirect: they may use plain HTTP inside the network.
if PRODUCTION:
    # Right after SecurityMiddleware: static files skip the rest of the stack.
    _after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
    MIDDLEWARE.insert(_after_security, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = True
    # No script reads these cookies (DRF's browsable API and Swagger UI take the CSRF token from the page).
    CSRF_COOKIE_HTTPONLY = LANGUAGE_COOKIE_HTTPONLY = True
if env.str("SECURE_PROXY_SSL_HEADER", default=""):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + env.str("SECURE_PROXY_SSL_HEADER").upper().replace("-", "_"), "https")
# Everywhere (Django's defaults, written out because they are part of the contract): no framing, no MIME sniffing,
# the path never leaves the site in Referer, the session cookie is out of scripts' reach.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# Logging --------------------------------------------------------------------------------------------------------------
# Logs go to stdout: one JSON object per line in production (LOG_FORMAT=json), plain text elsewhere. Every record
# passes RedactSecretsFilter first (apps/common/logs.py). With LOG_REQUESTS (on in production) the app writes the
# access log itself, through the same filter: run gunicorn without --access-logfile.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="") or ("json" if PRODUCTION else "plain")
if env.bool("LOG_REQUESTS") if env.str("LOG_REQUESTS", default="") else PRODUCTION:
    MIDDLEWARE.insert(0, "apps.common.logs.AccessLogMiddleware")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "apps.common.logs.RedactSecretsFilter"},
        "ordinary_forbidden": {"()": "apps.common.logs.OrdinaryForbiddenFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "apps.common.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A refused request (403) is one warning line, not a traceback.
        "django.request": {"filters": ["ordinary_forbidden"]},
    },
}

# Back office (django-unfold) ------------------------------------------------------------------------------------------
# Theme, start page and sidebar: config/unfold.py.
UNFOLD = unfold.UNFOLD

# CSV import and export ------------------------------------------------------------------------------------------------
# In the back office (django-import-export) and with `manage.py import_tickets` / `export_tickets`.
# Uploads bigger than IMPORT_UPLOAD_MAX_BYTES are refused from their size alone; larger files go through the
# import_tickets command, which streams them. Ticket imports only run for admins and holders of
# tickets.import_ticket; exports hold only the tickets the user can see.
IMPORT_UPLOAD_MAX_BYTES = env.int("IMPORT_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# A requester e-mail address without an account creates a requester account (no password: they use "forgot
# password"); off: such a row is an error.
TICKET_IMPORT_CREATE_REQUESTERS = env.bool("TICKET_IMPORT_CREATE_REQUESTERS", default=True)
# Notifications and AI triage for imported tickets, as for tickets opened by hand (off: a migration of old
# tickets must not e-mail everyone). Recorded in each imported ticket's "created" event for those features.
TICKET_IMPORT_NOTIFY = env.bool("TICKET_IMPORT_NOTIFY", default=False)
TICKET_IMPORT_TRIAGE = env.bool("TICKET_IMPORT_TRIAGE", default=False)
# Rows per batch (one round of lookups and bulk inserts), and how many row errors a report lists.
TICKET_IMPORT_BATCH_SIZE = env.int("TICKET_IMPORT_BATCH_SIZE", default=1000)
TICKET_IMPORT_MAX_ERRORS = env.int("TICKET_IMPORT_MAX_ERRORS", default=1000)
# Exports: on, only admins and holders of tickets.export_ticket may export; off, every back-office user may
# export the tickets they can see.
TICKET_EXPORT_REQUIRES_PERMISSION = env.bool("TICKET_EXPORT_REQUIRES_PERMISSION", default=False)
# django-import-export: no model is imported or exported unless its admin says who may (the defaults would let
# anyone with admin access); history events, not admin log entries, record imports; every import is one
# transaction. Its own formula escaping only deletes a leading "=": ours (apps/common/csv/files.py)
# neutralises = + - @ tab and carriage return and is undone on import.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "export"
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
