#!/usr/bin/env bash
# Run the docker-compose.yml services on this machine without Docker: PostgreSQL, Odoo with the
# netmera_migration addon, and the bridge. Stops what it started on Ctrl-C or SIGTERM.
#
#   scripts/start-stack.sh [--db NAME] [--template DB] [--odoo-port N] [--bridge-port N]
#                          [--data-dir DIR]
#
# A missing database is created with the addon installed; --template copies an existing
# database (one with base, contacts, crm, utm and mail installed) first, which is faster.
#
# Odoo comes from ODOO_SRC (default /opt/odoo/src) and runs with ODOO_PYTHON (default
# /usr/bin/python3). The bridge token is NETMERA_ODOO_BRIDGE_TOKEN, or a random one made for this
# session; Odoo gets the bridge URL and token through its environment. A database created here
# has the login admin/admin, which the bridge uses unless ODOO_USER and ODOO_PASSWORD are set.
set -euo pipefail
cd "$(dirname "$0")/.."

db=${ODOO_DB:-netmera}
template=""
odoo_port=8069
bridge_port=3100
data_dir=${NETMERA_ODOO_DATA_DIR:-$PWD/out/bridge-data}
odoo_src=${ODOO_SRC:-/opt/odoo/src}
odoo_python=${ODOO_PYTHON:-/usr/bin/python3}
log_dir=${LOG_DIR:-$PWD/out/stack-logs}

while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --template) template=$2; shift 2 ;;
    --odoo-port) odoo_port=$2; shift 2 ;;
    --bridge-port) bridge_port=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ ! -x "$odoo_src/odoo-bin" ] && [ ! -f "$odoo_src/odoo-bin" ]; then
  echo "no Odoo tree at $odoo_src; set ODOO_SRC" >&2
  exit 1
fi
mkdir -p "$log_dir" "$data_dir"

started_postgres=""
odoo_pid=""
bridge_pid=""

stop_all() {
  trap - EXIT INT TERM
  # The bridge first: it lets its running batch finish while Odoo is still up.
  if [ -n "$bridge_pid" ] && kill -0 "$bridge_pid" 2>/dev/null; then
    kill -TERM "$bridge_pid" && wait "$bridge_pid" || true
  fi
  if [ -n "$odoo_pid" ] && kill -0 "$odoo_pid" 2>/dev/null; then
    kill -TERM "$odoo_pid" && wait "$odoo_pid" || true
  fi
  if [ -n "$started_postgres" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$started_postgres" stop || true
  fi
}
trap stop_all EXIT
trap 'stop_all; exit 0' INT TERM

# PostgreSQL: start the first cluster when no server accepts connections, and create the role root.
if ! psql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  cluster=$(pg_lsclusters --no-header | awk 'NR == 1 { print $1 " " $2 }')
  if [ -z "$cluster" ]; then
    echo "no PostgreSQL cluster found (pg_lsclusters is empty)" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect $cluster start
  started_postgres=$cluster
  su postgres -c "psql -tAc \"select 1 from pg_roles where rolname='root'\" | grep -q 1 || psql -c 'CREATE ROLE root SUPERUSER LOGIN'"
fi

odoo_args=(
  "$odoo_src/odoo-bin"
  "--addons-path=$odoo_src/odoo/addons,$PWD/odoo_addon"
  --db_user=root
  -d "$db"
  "--db-filter=^$db\$"
  --http-interface=127.0.0.1
  "--http-port=$odoo_port"
)
export PYTHONPATH=${ODOO_STUBS:-/opt/odoo/stubs}${PYTHONPATH:+:$PYTHONPATH}

if [ "$(psql -d postgres -tAc "select 1 from pg_database where datname = '$db'")" != "1" ]; then
  echo "creating database $db with the addon (a few minutes without --template)"
  if [ -n "$template" ]; then
    createdb -T "$template" "$db"
  fi
  "$odoo_python" "${odoo_args[@]}" -i netmera_migration --without-demo=all --stop-after-init \
    >"$log_dir/odoo-install.log" 2>&1
fi

export NETMERA_ODOO_BRIDGE_TOKEN=${NETMERA_ODOO_BRIDGE_TOKEN:-$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))")}
export NETMERA_ODOO_BRIDGE_URL="http://127.0.0.1:$bridge_port"

"$odoo_python" "${odoo_args[@]}" >"$log_dir/odoo.log" 2>&1 &
odoo_pid=$!

echo "building the bridge"
npm run build --silent
ODOO_URL="http://127.0.0.1:$odoo_port" ODOO_DB=$db ODOO_USER=${ODOO_USER:-admin} \
  ODOO_PASSWORD=${ODOO_PASSWORD:-admin} \
  node --max-old-space-size=256 bridge/bin/netmera-odoo.js serve --host 127.0.0.1 --port "$bridge_port" \
  --data-dir "$data_dir" 2>"$log_dir/bridge.log" &
bridge_pid=$!

for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$odoo_port/web/health" >/dev/null 2>&1 &&
    curl -fsS "http://127.0.0.1:$bridge_port/health" >/dev/null 2>&1; then
    echo "Odoo:   http://127.0.0.1:$odoo_port (database $db)"
    echo "bridge: http://127.0.0.1:$bridge_port (token in NETMERA_ODOO_BRIDGE_TOKEN of this shell's children)"
    echo "logs:   $log_dir; Ctrl-C stops everything"
    break
  fi
  if ! kill -0 "$odoo_pid" 2>/dev/null || ! kill -0 "$bridge_pid" 2>/dev/null; then
    echo "a service exited during start; see $log_dir" >&2
    exit 1
  fi
  sleep 1
done

# Stay up until one service exits or a signal arrives; then stop the other.
wait -n "$odoo_pid" "$bridge_pid" || true
echo "a service exited; stopping the stack (logs in $log_dir)" >&2
