#!/usr/bin/env bash
# Run the netmera_migration addon's Odoo tests on a fresh copy of the template database.
#
# Exits non-zero when Odoo logs a test failure or error, or when the run ends without the
# test summary line. Prints a skip line and exits 0 when no Odoo tree exists.
#
# Environment (all optional):
#   ODOO_SRC       Odoo source tree                    (default /opt/odoo/src)
#   ODOO_TEMPLATE  template database                   (default nm_template)
#   ODOO_TEST_DB   name of the throw-away database     (default addon_test_<pid>)
#   ODOO_PYTHON    Python that runs Odoo                (default /usr/bin/python3)
#   ODOO_TEST_TAGS value of --test-tags                 (default /netmera_migration)
#   ODOO_TEST_PORT HTTP port on 127.0.0.1               (default: a free port)
#   KEEP_DB=1      keep the database after the run
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

odoo_src=${ODOO_SRC:-/opt/odoo/src}
template=${ODOO_TEMPLATE:-nm_template}
db=${ODOO_TEST_DB:-addon_test_$$}
python=${ODOO_PYTHON:-/usr/bin/python3}
test_tags=${ODOO_TEST_TAGS:-/netmera_migration}
# Odoo 18 opens its HTTP port in test mode even with --no-http, so take a free one.
port=${ODOO_TEST_PORT:-$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

if [[ ! -f "$odoo_src/odoo-bin" ]]; then
  echo "odoo-addon-tests: skipped, no Odoo tree at $odoo_src"
  exit 0
fi

if ! pg_isready -q; then
  echo "odoo-addon-tests: starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect 15 main start || exit 1
fi

dropdb --if-exists "$db" >/dev/null 2>&1
modules=netmera_migration
if psql -lqt | cut -d'|' -f1 | grep -qw "$template"; then
  createdb -T "$template" "$db" || exit 1
else
  # Without the template, install its modules first; this takes a few minutes longer.
  echo "odoo-addon-tests: no template database $template, installing contacts, crm, utm, mail"
  createdb "$db" || exit 1
  modules=contacts,crm,utm,mail,netmera_migration
fi
log=$(mktemp -t netmera-addon-tests.XXXXXX.log)
cleanup() {
  if [[ "${KEEP_DB:-0}" != 1 ]]; then dropdb --if-exists "$db" >/dev/null 2>&1; fi
  rm -f "$log"
}
trap cleanup EXIT

echo "odoo-addon-tests: database $db, log $log"
PYTHONPATH=/opt/odoo/stubs${PYTHONPATH:+:$PYTHONPATH} "$python" "$odoo_src/odoo-bin" \
  --addons-path="$odoo_src/odoo/addons,$repo/odoo_addon" \
  --db_user="${PGUSER:-root}" -d "$db" --db-filter="^${db}\$" \
  --http-interface=127.0.0.1 --http-port="$port" --without-demo=all --log-level=test \
  --test-enable --test-tags="$test_tags" --stop-after-init \
  -i "$modules" >"$log" 2>&1
status=$?

# Show the problem lines only; the full log is long.
grep -E "(ERROR|FAIL|CRITICAL|Traceback|Error:|assert)" "$log" || true

# Odoo ends a test run with "<F> failed, <E> error(s) of <N> tests when loading database ...".
summary=$(grep -oE "[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests" "$log" | tail -n 1)
read -r failed errors ran < <(echo "${summary:-0 failed, 0 error(s) of 0 tests}" \
  | sed -E 's/([0-9]+) failed, ([0-9]+) error\(s\) of ([0-9]+) tests/\1 \2 \3/')
problems=$(grep -cE "^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) " "$log")

echo "odoo-addon-tests: odoo exit $status, $ran tests, $failed failed, $errors errors, $problems error log lines"

if [[ $status -ne 0 || $problems -gt 0 || $failed -gt 0 || $errors -gt 0 ]]; then
  echo "odoo-addon-tests: FAILED"
  tail -n 80 "$log"
  exit 1
fi
if [[ $ran -eq 0 ]]; then
  echo "odoo-addon-tests: FAILED, no test ran"
  tail -n 40 "$log"
  exit 1
fi
echo "odoo-addon-tests: $ran passed, 0 failed"
