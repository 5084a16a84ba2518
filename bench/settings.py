"""Settings for `bench/api.py`: the project's settings plus a trivial view as the throughput ceiling."""

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
DEBUG = False
# The benchmark measures the request path, not the create throttle (a rate of None never throttles).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])}
# As a deployment with a shared cache (REDIS_URL) keeps them, and reads its sessions: the benchmarks run in one
# process, whose local-memory cache is then shared by all (config/settings.py ACCESS_KEPT_IN_CACHE, SESSION_ENGINE).
ACCESS_KEPT_IN_CACHE = True
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
