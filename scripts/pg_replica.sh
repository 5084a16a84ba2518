#!/usr/bin/env bash
# A streaming replica (hot standby) of the PostgreSQL at 127.0.0.1:$PRIMARY_PORT, as a second cluster on
# 127.0.0.1:$REPLICA_PORT: what the read replica tests (tests/test_replicas.py) read from. Run as root (the
# clusters run as the postgres user). Idempotent: does nothing when the replica already answers.
#
#   PRIMARY_PORT=5432 REPLICA_PORT=5433 REPLICA_DIR=/tmp/ts-pg-replica bash scripts/pg_replica.sh
set -euo pipefail
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICA_PORT="${REPLICA_PORT:-5433}"
REPLICA_DIR="${REPLICA_DIR:-/tmp/ts-pg-replica}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

if pg_isready -h 127.0.0.1 -p "$REPLICA_PORT" -q 2>/dev/null; then
  echo "replica already running on port $REPLICA_PORT"
  exit 0
fi

# The primary must accept replication connections from this machine (streaming needs wal_level replica,
# PostgreSQL's default).
HBA="$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAc 'SHOW hba_file')"
if ! grep -qE '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$HBA"; then
  echo "host replication all 127.0.0.1/32 trust" >>"$HBA"
  psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAc 'SELECT pg_reload_conf()' >/dev/null
fi

rm -rf "$REPLICA_DIR"
install -d -o postgres -g postgres -m 700 "$REPLICA_DIR"
su postgres -c "$BIN/pg_basebackup -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D $REPLICA_DIR -R -X stream -c fast"
# Debian keeps postgresql.conf and pg_hba.conf outside the data directory: the copy gets its own.
su postgres -c "touch $REPLICA_DIR/postgresql.conf"
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' | su postgres -c "tee $REPLICA_DIR/pg_hba.conf >/dev/null"
su postgres -c "$BIN/pg_ctl -D $REPLICA_DIR -l $REPLICA_DIR/server.log -w start \
  -o '-p $REPLICA_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$REPLICA_DIR -c hot_standby=on'"
psql -h 127.0.0.1 -p "$REPLICA_PORT" -U postgres -tAc 'SELECT pg_is_in_recovery()' | grep -qx t
echo "replica of port $PRIMARY_PORT running on port $REPLICA_PORT ($REPLICA_DIR)"
