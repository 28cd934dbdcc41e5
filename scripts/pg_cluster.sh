#!/usr/bin/env bash
# A PostgreSQL 15 cluster on loopback for hotspotd's PostgreSQL engines (issue 17): a three-member
# etcd, and three PostgreSQL instances under Patroni with synchronous_mode, synchronous_mode_strict
# and synchronous_commit=on. Everything runs as the `postgres` user (PostgreSQL refuses root).
#
#   scripts/pg_cluster.sh start DIR [BASE_PORT]   start it in DIR (created); prints the conninfo
#   scripts/pg_cluster.sh stop DIR                stop everything started in DIR
#   scripts/pg_cluster.sh primary DIR             the member that is primary now (pg1, pg2, pg3)
#   scripts/pg_cluster.sh conninfo DIR            the multi-host connection string
#   scripts/pg_cluster.sh kill-primary DIR        SIGKILL the primary's Patroni and PostgreSQL,
#                                                 every process of it at once (a machine lost);
#                                                 prints the member
#   scripts/pg_cluster.sh healthy DIR             exit 0 if a primary has two streaming standbys,
#                                                 one of them synchronous
#   scripts/pg_cluster.sh start-member DIR pgN    start a member's Patroni again (it rejoins as a
#                                                 standby, rewound if it must be)
#
# Ports (BASE_PORT, default 15400): etcd clients BASE+0..2, etcd peers BASE+10..12, PostgreSQL
# BASE+20..22, Patroni's REST API BASE+30..32. Needs Debian's postgresql-15, patroni and
# etcd-server (scripts/deps.sh installs them). Loopback only, trust authentication: for tests and
# demonstrations, not for production (docs/postgresql.md says what production needs).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,21p' "$0"; exit 2; }
if [ "$cmd" = start ]; then base=${3:-15400}; else base=$(cat "$dir/base_port" 2>/dev/null || echo 15400); fi
bin=/usr/lib/postgresql/15/bin

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

conninfo() {
  echo "host=127.0.0.1,127.0.0.1,127.0.0.1 port=$((base + 20)),$((base + 21)),$((base + 22))" \
       "user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=2"
}

primary() {
  for i in 1 2 3; do
    if curl -fsS -o /dev/null "http://127.0.0.1:$((base + 29 + i))/primary" 2>/dev/null; then
      echo "pg$i"
      return 0
    fi
  done
  return 1
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  echo "$base" > "$dir/base_port"
  cluster="e1=http://127.0.0.1:$((base + 10)),e2=http://127.0.0.1:$((base + 11)),e3=http://127.0.0.1:$((base + 12))"
  for i in 1 2 3; do
    as_postgres bash -c "nohup etcd --name e$i --data-dir '$dir/etcd$i' \
      --listen-client-urls http://127.0.0.1:$((base + i - 1)) \
      --advertise-client-urls http://127.0.0.1:$((base + i - 1)) \
      --listen-peer-urls http://127.0.0.1:$((base + 9 + i)) \
      --initial-advertise-peer-urls http://127.0.0.1:$((base + 9 + i)) \
      --initial-cluster '$cluster' --initial-cluster-state new \
      --initial-cluster-token hotspot-$base >'$dir/etcd$i.log' 2>&1 & echo \$! >'$dir/etcd$i.pid'"
  done
  etcd_hosts="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
  for i in 1 2 3; do
    cat >"$dir/pg$i.yml" <<EOF
scope: hotspot-$base
name: pg$i
restapi:
  listen: 127.0.0.1:$((base + 29 + i))
  connect_address: 127.0.0.1:$((base + 29 + i))
etcd3:
  hosts: $etcd_hosts
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: true
    postgresql:
      use_pg_rewind: true
      parameters:
        synchronous_commit: "on"
        wal_log_hints: "on"
        max_connections: 200
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
    - local all all trust
postgresql:
  listen: 127.0.0.1:$((base + 19 + i))
  connect_address: 127.0.0.1:$((base + 19 + i))
  data_dir: $dir/pg$i
  bin_dir: $bin
  pgpass: $dir/pgpass$i
  authentication:
    replication: {username: replicator, password: replicator}
    superuser: {username: postgres, password: postgres}
    rewind: {username: postgres, password: postgres}
  parameters:
    unix_socket_directories: $dir
EOF
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/pg$i.yml"
    as_postgres bash -c "nohup patroni '$dir/pg$i.yml' >'$dir/patroni$i.log' 2>&1 & echo \$! >'$dir/patroni$i.pid'"
  done
  # Ready: a primary that takes writes, and a synchronous standby (synchronous_mode_strict
  # refuses writes without one).
  for _ in $(seq 1 240); do
    if p=$(primary) && psql "$(conninfo)" -XAtqc \
         "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'" 2>/dev/null |
         grep -q '^[1-9]'; then
      conninfo
      exit 0
    fi
    sleep 0.5
  done
  echo "pg_cluster: no primary with a synchronous standby after 120 s; see $dir/*.log" >&2
  exit 1
  ;;
stop)
  for f in "$dir"/patroni?.pid "$dir"/etcd?.pid; do
    [ -f "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
  done
  # Patroni stops its PostgreSQL on SIGTERM; what is left is ended.
  for _ in $(seq 1 60); do
    pgrep -f "$dir/" >/dev/null || break
    sleep 0.5
  done
  pkill -9 -f "$dir/" 2>/dev/null || true
  ;;
primary) primary ;;
healthy)
  primary >/dev/null &&
    psql "$(conninfo)" -XAtqc "SELECT count(*) FILTER (WHERE state = 'streaming'),
                                      count(*) FILTER (WHERE sync_state = 'sync')
                               FROM pg_stat_replication" 2>/dev/null | grep -qx '2|1'
  ;;
conninfo) conninfo ;;
kill-primary)
  p=$(primary) || { echo "pg_cluster: no primary" >&2; exit 1; }
  # The postmaster's children too: backends outlive a postmaster killed alone, and would go on
  # committing (and holding its data directory) for a while.
  pm=$(head -1 "$dir/$p/postmaster.pid")
  kill -9 "$(cat "$dir/patroni${p#pg}.pid")" "$pm" $(pgrep -P "$pm") 2>/dev/null || true
  echo "$p"
  ;;
start-member)
  m=${3:?start-member DIR pgN}
  as_postgres bash -c "nohup patroni '$dir/$m.yml' >>'$dir/patroni${m#pg}.log' 2>&1 & echo \$! >'$dir/patroni${m#pg}.pid'"
  ;;
*) sed -n '2,21p' "$0"; exit 2 ;;
esac
