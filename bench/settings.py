"""Settings for `bench/api.py`: the project's settings plus a trivial view as the throughput ceiling."""

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
DEBUG = False
# The benchmark measures the request path, not the create throttle (a rate of None never throttles).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
