"""Probes for load balancers and orchestrators: /healthz (the process answers) and /readyz (it can serve).

Both are unauthenticated, answer GET and HEAD only, are never cached, and say nothing but {"status": "ok"} or
(503) {"status": "unavailable"}: which check failed, and why, goes to the log, never to the caller.

/readyz checks, in order, that the database answers, that every migration is applied (remembered once true:
a running process's code never gains migrations) and that the django-q2 broker answers: with the ORM broker
that is its database; with Redis, a PING with a short timeout. The SSL redirect skips both paths
(SECURE_REDIRECT_EXEMPT) so probes may use plain HTTP inside the network; their Host must be in ALLOWED_HOSTS.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2
_migrations_applied = False  # per process; see migrations_applied()
_redis_clients: dict[str, Any] = {}


def database_ready(alias: str = "default") -> bool:
    """The database answers a trivial query."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def migrations_applied(alias: str = "default") -> bool:
    """No migration of the code this process runs is waiting to be applied."""
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[alias])
        _migrations_applied = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    return _migrations_applied


def _redis(config: str | dict) -> Any:
    import redis

    key = repr(config)
    if key not in _redis_clients:
        timeouts = {"socket_connect_timeout": BROKER_TIMEOUT_SECONDS, "socket_timeout": BROKER_TIMEOUT_SECONDS}
        if isinstance(config, str):
            _redis_clients[key] = redis.Redis.from_url(config, **timeouts)
        else:
            _redis_clients[key] = redis.Redis(**{**timeouts, **config})
    return _redis_clients[key]


def broker_ready() -> bool:
    """The django-q2 broker that the workers read answers."""
    cluster = settings.Q_CLUSTER
    if cluster.get("orm"):
        return database_ready(cluster["orm"])
    if cluster.get("redis"):
        return bool(_redis(cluster["redis"]).ping())
    from django_q.brokers import get_broker  # any other broker django-q2 supports

    return bool(get_broker().ping())


CHECKS = (database_ready, migrations_applied, broker_ready)


@csrf_exempt
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering; touches nothing else."""
    return JsonResponse({"status": "ok"})


@csrf_exempt
@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The process can serve requests: database, migrations and task broker (503 when one of them fails)."""
    for check in CHECKS:
        try:
            ready = check()
        except Exception:
            logger.warning("Readiness check %s failed", check.__name__, exc_info=True)
            ready = False
        else:
            if not ready:
                logger.warning("Readiness check %s failed", check.__name__)
        if not ready:
            return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
