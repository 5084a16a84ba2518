"""With REDIS_URL set, every process shares one cache (the log-in and API throttle counters live there)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.support import component_missing

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parent.parent
INCREMENT = (
    'import django, sys; django.setup(); from django.core.cache import caches; cache = caches["default"]; '
    "cache.add(sys.argv[1], 0, 60); print(type(cache).__name__, cache.incr(sys.argv[1]))"
)


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_processes_share_counters_through_redis():
    if not _redis_reachable():
        component_missing(f"Redis is not reachable at {REDIS_URL}", tests="the shared-cache test")
    env = {**os.environ, "REDIS_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "config.settings"}
    key = f"test-shared-{uuid.uuid4().hex}"
    outputs = [
        subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
            [sys.executable, "-c", INCREMENT, key], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(2)
    ]
    assert outputs == [["RedisCache", "1"], ["RedisCache", "2"]]
