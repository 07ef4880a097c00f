#!/usr/bin/env bash
# PostgreSQL as a local process, for the AppHost when no container runtime answers (LocalPostgres.cs).
# The data folder persists across runs like the container's data volume; delete it to start afresh.
# env: PG_DATA (data folder), PG_PORT (port to listen on, given by the AppHost), PG_PASSWORD (the
# `postgres-password` parameter), PG_DATABASES (databases to create when missing).
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "PostgreSQL server is not installed: run 'bash scripts/install-prerequisites.sh' (Debian: apt-get install postgresql)" >&2
  exit 1
fi
# PostgreSQL refuses to run as root: as root, run it as the postgres user.
if [ "$(id -u)" = 0 ]; then as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }; else as_pg() { "$@"; }; fi
mkdir -p "$PG_DATA"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DATA"
chmod 700 "$PG_DATA"
if ! as_pg test -w "$PG_DATA"; then
  echo "the postgres user cannot write $PG_DATA (a parent folder is closed to it): set LocalInfrastructure:DataPath to a folder it can reach" >&2
  exit 1
fi
if [ ! -s "$PG_DATA/PG_VERSION" ]; then
  echo "initialising a new PostgreSQL cluster in $PG_DATA"
  pw=$(mktemp); printf '%s\n' "$PG_PASSWORD" > "$pw"; [ "$(id -u)" = 0 ] && chown postgres "$pw"
  as_pg "$PGBIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
fi
# Set-up on a socket-only server first, then exec the real one: the AppHost (DCP) then signals and watches
# PostgreSQL itself, so nothing outlives the app when a wrapper is killed.
sock=$(mktemp -d /tmp/mlops-pg.XXXXXX); [ "$(id -u)" = 0 ] && chown postgres "$sock"
as_pg "$PGBIN/pg_ctl" -D "$PG_DATA" -w -t 60 -l "$PG_DATA/setup.log" -o "-c listen_addresses= -k $sock -p $PG_PORT" start >/dev/null
# The password parameter may have changed since initdb (user secrets reset): it is set on every start.
{
  echo "ALTER ROLE postgres PASSWORD :'pw';"
  for db in $PG_DATABASES; do
    echo "\\set db $db"
    echo "SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec"
  done
} | as_pg "$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 -v pw="$PG_PASSWORD" -h "$sock" -p "$PG_PORT" -U postgres -d postgres >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PG_DATA" -w -m fast stop >/dev/null
rm -rf "$sock"
echo "PostgreSQL starting on 127.0.0.1:$PG_PORT (data: $PG_DATA; databases: $PG_DATABASES)"
# PostgreSQL logs to stderr, which the AppHost shows as error-level lines: its log goes to stdout instead (its own
# ERROR/FATAL lines still say so).
exec 2>&1
if [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$PGBIN/postgres" -D "$PG_DATA" -p "$PG_PORT" -c listen_addresses=127.0.0.1 -k /tmp
fi
exec "$PGBIN/postgres" -D "$PG_DATA" -p "$PG_PORT" -c listen_addresses=127.0.0.1 -k /tmp
