#!/usr/bin/env bash
# Smoke test of the production set-up on this machine: DJANGO_ENV=production, PostgreSQL, Redis, gunicorn with
# several workers and one django-q2 cluster, exercised over HTTP by scripts/smoke_client.py (probes, JWT log-in,
# a ticket with an attachment, the agent's notification made by the worker, portal and back-office log-ins (the
# agent's second factor, required in production, on the token endpoint and in the back office) with
# their hashed static files, security headers and cookies, no secret in the logs), then a task queued on Redis.
#
# What it mimics: nginx ending TLS in front of gunicorn. There is no TLS here, so every client request carries
# `X-Forwarded-Proto: https` and the servers run with SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto, exactly as behind
# the proxy of docs/deploy/nginx.conf; the SSL redirect stays on (a request without the header must be redirected,
# and the client checks that it is).
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth; override with SMOKE_PG) and Redis on
# 127.0.0.1:6379 (override with SMOKE_REDIS). It drops and creates the database ticket_system_smoke, uses Redis
# database 13 (flushed), writes static files, media and logs to a temporary folder, and stops everything it started.
# On failure it prints the servers' logs and exits non-zero. Usage: scripts/smoke_production.sh (or `make smoke`).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-.venv/bin/python}"
PG="${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}"
DB_NAME="ticket_system_smoke"
REDIS="${SMOKE_REDIS:-redis://127.0.0.1:6379}/13"
WORK="$(mktemp -d -t ticket-system-smoke.XXXXXX)"
STARTED_AT=$(date +%s)
PIDS=()

log() { printf '== %s (%ss)\n' "$*" "$(($(date +%s) - STARTED_AT))"; }

show_logs() {
  for file in "$WORK"/*.log; do
    [ -s "$file" ] || continue
    echo "---------------- $(basename "$file") (last 80 lines) ----------------"
    tail -n 80 "$file"
  done
}

stop_servers() {
  # SIGTERM to each server's main process, which stops its own workers (gunicorn's master, qcluster's sentinel);
  # whatever is left of the process group it leads (each was started with setsid) after 15 s is killed.
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 75); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  PIDS=()
}

finish() {
  status=$?
  trap - EXIT INT TERM
  stop_servers
  if [ "$status" -ne 0 ]; then
    echo "!! smoke test FAILED (exit $status) after $(($(date +%s) - STARTED_AT)) s; the servers' logs:" >&2
    show_logs >&2
    echo "!! kept for inspection: $WORK and the database $DB_NAME" >&2
  else
    psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true
    redis-cli -u "$REDIS" flushdb >/dev/null 2>&1 || true
    rm -rf "$WORK"
    echo "== smoke test passed in $(($(date +%s) - STARTED_AT)) s"
  fi
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

# The production environment: the same variables a server's unit file sets (docs/DEPLOYMENT.md).
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DJANGO_ENV=production
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export ALLOWED_HOSTS="127.0.0.1"
export SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"
export DATABASE_URL="$PG/$DB_NAME"
export REDIS_URL="$REDIS"
export STATIC_ROOT="$WORK/static"
export MEDIA_ROOT="$WORK/media"
export Q_WORKERS=2
export Q_CLUSTER_NAME="ticket-system-smoke"  # its own queue, whatever else uses this Redis
export EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"  # no mail server here; mail is still rendered
export PYTHONUNBUFFERED=1  # log lines reach the files as they are written
SMOKE_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')"
export SMOKE_PASSWORD
export SMOKE_2FA_FILE="$WORK/two-factor.json"  # the agent's recovery codes, from smoke_django.py to smoke_client.py
# Said explicitly, so that neither the caller's environment nor a developer's .env file can change them.
export DEBUG=false Q_SYNC=false STORAGE_BACKEND=filesystem LOG_FORMAT=json LOG_REQUESTS=true LOG_LEVEL=INFO
export SECURE_SSL_REDIRECT=true SECURE_HSTS_SECONDS=31536000 SECURE_HSTS_INCLUDE_SUBDOMAINS=true
export SECURE_HSTS_PRELOAD=true CSRF_TRUSTED_ORIGINS="" NUM_PROXIES=0 NOTIFICATIONS_ENABLED=true

log "services"
pg_isready -d "$PG/postgres" -q || { echo "PostgreSQL is not answering at $PG" >&2; exit 1; }
redis-cli -u "$REDIS" ping | grep -q PONG || { echo "Redis is not answering at $REDIS" >&2; exit 1; }

log "database $DB_NAME (dropped and created) and Redis database 13 (flushed)"
psql "$PG/postgres" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $DB_NAME" -c "CREATE DATABASE $DB_NAME"
redis-cli -u "$REDIS" flushdb >/dev/null

log "check --deploy, migrate, collectstatic, initial data, users"
"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py migrate --noinput >"$WORK/migrate.log" 2>&1
"$PY" manage.py collectstatic --noinput >"$WORK/collectstatic.log" 2>&1
"$PY" manage.py loaddata initial_data >"$WORK/loaddata.log" 2>&1
"$PY" scripts/smoke_django.py users

log "gunicorn (3 workers) on 127.0.0.1:$PORT and one qcluster on the Redis broker"
# The app writes its own JSON access log to stdout (LOG_REQUESTS): no --access-logfile.
setsid "$(dirname "$PY")/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers 3 --timeout 30 \
  --graceful-timeout 10 >"$WORK/app.log" 2>"$WORK/gunicorn.log" </dev/null &
PIDS+=($!)
setsid "$PY" manage.py qcluster >"$WORK/worker.log" 2>&1 </dev/null &
PIDS+=($!)

log "client: probes, API, attachment, notification, portal, back office, static files, headers, logs"
"$PY" scripts/smoke_client.py --port "$PORT" --logs "$WORK/app.log" "$WORK/gunicorn.log" "$WORK/worker.log"

log "worker: a task queued here on Redis is run by the qcluster"
"$PY" scripts/smoke_django.py worker

log "servers still up, then stopped"
for pid in "${PIDS[@]}"; do kill -0 "$pid" || { echo "server $pid died" >&2; exit 1; }; done
stop_servers
