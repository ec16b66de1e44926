#!/usr/bin/env bash
# Start a real Odoo with the netmera_migration addon for local work, on 127.0.0.1.
#
# Environment (all optional):
#   ODOO_SRC       Odoo source tree                    (default /opt/odoo/src)
#   ODOO_DB        database; created from ODOO_TEMPLATE when missing (default netmera_dev)
#   ODOO_TEMPLATE  template database with contacts, crm, utm, mail (default nm_template)
#   ODOO_PORT      HTTP port                            (default 8069)
#   ODOO_PYTHON    Python that runs Odoo                (default /usr/bin/python3)
# Extra arguments go to odoo-bin, for example --stop-after-init or --log-level=debug.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

odoo_src=${ODOO_SRC:-/opt/odoo/src}
db=${ODOO_DB:-netmera_dev}
template=${ODOO_TEMPLATE:-nm_template}
port=${ODOO_PORT:-8069}
python=${ODOO_PYTHON:-/usr/bin/python3}

if [[ ! -x "$odoo_src/odoo-bin" && ! -f "$odoo_src/odoo-bin" ]]; then
  echo "odoo-dev: no Odoo tree at $odoo_src (set ODOO_SRC)" >&2
  exit 1
fi

if ! pg_isready -q; then
  echo "odoo-dev: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect 15 main start
fi

if ! psql -lqt | cut -d'|' -f1 | grep -qw "$db"; then
  echo "odoo-dev: creating database $db from $template" >&2
  createdb -T "$template" "$db"
fi

# -u installs the addon on a new database and updates it on an existing one.
if psql -d "$db" -tAc "SELECT 1 FROM ir_module_module WHERE name = 'netmera_migration' AND state = 'installed'" | grep -q 1; then
  module_flag=(-u netmera_migration)
else
  module_flag=(-i netmera_migration)
fi

exec env PYTHONPATH=/opt/odoo/stubs${PYTHONPATH:+:$PYTHONPATH} "$python" "$odoo_src/odoo-bin" \
  --addons-path="$odoo_src/odoo/addons,$repo/odoo_addon" \
  --db_user="${PGUSER:-root}" \
  -d "$db" --db-filter="^${db}\$" \
  --http-interface=127.0.0.1 --http-port="$port" \
  --without-demo=all \
  "${module_flag[@]}" \
  "$@"
