#!/usr/bin/python3
"""Benchmark the addon's import_batch against Odoo's load() on the same partner rows.

Both run over XML-RPC against one real Odoo, each on its own fresh copy of a database that has
netmera_migration installed. Batches alternate (import_batch batch i, then load() batch i) so
that both paths see the same server state. Only the partner batches are timed; the tags they
link to are imported first, untimed, on both databases.

Run it with Debian's python (Odoo's own dependencies are not needed on the client side):

    /usr/bin/python3 scripts/bench-import-batch.py --rows 20000 --batch 1000

It prints one line per path with rows/s and the import_batch/load ratio, then a JSON summary.
"""

import argparse
import hashlib
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo/src"))
TEMPLATE = os.environ.get("ODOO_TEMPLATE", "nm_template")
# Context the import applies to every write; load() gets the same so the comparison is fair.
WRITE_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=20000, help="partners to import (default 20000)"
    )
    parser.add_argument("--batch", type=int, default=1000, help="rows per batch (default 1000)")
    parser.add_argument("--tags", type=int, default=50, help="distinct tags (default 50)")
    parser.add_argument("--port", type=int, default=8101, help="Odoo HTTP port (default 8101)")
    parser.add_argument("--prefix", default="addon_bench", help="database name prefix")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    return parser.parse_args()


def sh(*command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def odoo_command(*args):
    return [
        "/usr/bin/python3",
        str(ODOO_SRC / "odoo-bin"),
        f"--addons-path={ODOO_SRC / 'odoo' / 'addons'},{REPO / 'odoo_addon'}",
        f"--db_user={os.environ.get('PGUSER', 'root')}",
        "--without-demo=all",
        *args,
    ]


def odoo_env():
    return dict(os.environ, PYTHONPATH="/opt/odoo/stubs")


def prepare_databases(prefix):
    """Install the addon once on a base copy, then clone it for each path."""
    base = f"{prefix}_base"
    names = [f"{prefix}_import", f"{prefix}_load"]
    for name in [base, *names]:
        sh("dropdb", "--if-exists", name)
    sh("createdb", "-T", TEMPLATE, base)
    subprocess.run(
        odoo_command("-d", base, "-i", "netmera_migration", "--stop-after-init", "--no-http"),
        check=True,
        env=odoo_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for name in names:
        sh("createdb", "-T", base, name)
    return base, names


def start_odoo(prefix, port, log_path):
    log = open(log_path, "w")
    process = subprocess.Popen(
        odoo_command(
            f"--db-filter=^{prefix}_(import|load)$",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--workers=0",
            "--max-cron-threads=0",
            "--log-level=warn",
        ),
        env=odoo_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(120):
        try:
            xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").version()
            return process, url
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"Odoo did not respond on {url}; see {log_path}")


def row_hash(values):
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def make_data(rows, tags):
    """Return (tag names, partner dicts) with a fixed seed, so every run imports the same data."""
    rng = random.Random(42)
    tag_names = [f"bench_tag_{index:03d}" for index in range(tags)]
    partners = []
    for index in range(rows):
        partners.append(
            {
                "xml_id": f"bench_user_{index:07d}",
                "name": f"Kullanıcı {index} Yılmaz",
                "email": f"user{index}@example.com.tr",
                "phone": f"+90 532 {index % 1000:03d} {index % 10000:04d}",
                "city": rng.choice(["İstanbul", "Ankara", "İzmir", "Bursa", "Antalya"]),
                "tags": rng.sample(tag_names, rng.randint(1, 3)),
            }
        )
    return tag_names, partners


class Client:
    def __init__(self, url, db):
        self.db = db
        self.uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
            db, "admin", "admin", {}
        )
        self.models = xmlrpc.client.ServerProxy(
            f"{url}/xmlrpc/2/object", allow_none=True, use_builtin_types=True
        )

    def call(self, model, method, args, kwargs=None):
        return self.models.execute_kw(self.db, self.uid, "admin", model, method, args, kwargs or {})


def start_run(client):
    run_id = client.call(
        "netmera.migration.run",
        "create",
        [
            {
                "name": "Benchmark",
                "mapping_json": "{}",
                "mapping_hash": "bench",
                "mapping_confirmed_by": "bench",
                "mapping_confirmed_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            }
        ],
    )
    client.call("netmera.migration.run", "action_confirm_gdpr", [[run_id], "DPA-BENCH"])
    client.call("netmera.migration.run", "action_start", [[run_id]])
    return run_id


def import_rows(partners):
    rows = []
    for partner in partners:
        values = {
            "name": partner["name"],
            "email": partner["email"],
            "phone": partner["phone"],
            "city": partner["city"],
            "category_id": {"xml_ids": partner["tags"]},
        }
        rows.append({"xml_id": partner["xml_id"], "values": values, "hash": row_hash(values)})
    return rows


def load_rows(partners):
    return [
        [
            f"__import__.{partner['xml_id']}",
            partner["name"],
            partner["email"],
            partner["phone"],
            partner["city"],
            ",".join(f"__import__.{tag}" for tag in partner["tags"]),
        ]
        for partner in partners
    ]


def check_import(result, batch_no, expected):
    if result["errors"] or result["created"] + result["updated"] + result["unchanged"] != expected:
        raise SystemExit(f"import_batch {batch_no} failed: {json.dumps(result)[:500]}")


def check_load(result, batch_no, expected):
    errors = [message for message in result["messages"] if message.get("type") == "error"]
    if errors or len(result["ids"] or []) != expected:
        raise SystemExit(f"load() batch {batch_no} failed: {json.dumps(result)[:500]}")


def run_benchmark(url, names, args):
    importer = Client(url, names[0])
    loader = Client(url, names[1])
    tag_names, partners = make_data(args.rows, args.tags)

    run_id = start_run(importer)
    tag_rows = [
        {"xml_id": name, "values": {"name": name}, "hash": row_hash({"name": name})}
        for name in tag_names
    ]
    importer.call("netmera.migration.run", "import_batch", [[run_id], "tags", 0, tag_rows])
    loader.call(
        "res.partner.category",
        "load",
        [["id", "name"], [[f"__import__.{name}", name] for name in tag_names]],
        {"context": WRITE_CONTEXT},
    )

    fields = ["id", "name", "email", "phone", "city", "category_id/id"]
    timings = {"import_batch": 0.0, "load": 0.0, "rerun": 0.0}
    batches = [
        partners[start : start + args.batch] for start in range(0, len(partners), args.batch)
    ]
    for batch_no, batch in enumerate(batches):
        rows = import_rows(batch)
        started = time.perf_counter()
        result = importer.call(
            "netmera.migration.run", "import_batch", [[run_id], "contacts", batch_no, rows]
        )
        timings["import_batch"] += time.perf_counter() - started
        check_import(result, batch_no, len(batch))

        data = load_rows(batch)
        started = time.perf_counter()
        result = loader.call("res.partner", "load", [fields, data], {"context": WRITE_CONTEXT})
        timings["load"] += time.perf_counter() - started
        check_load(result, batch_no, len(batch))

    # A second pass of the same rows under new batch numbers: every row is skipped by hash.
    for batch_no, batch in enumerate(batches, start=len(batches)):
        started = time.perf_counter()
        result = importer.call(
            "netmera.migration.run",
            "import_batch",
            [[run_id], "contacts", batch_no, import_rows(batch)],
        )
        timings["rerun"] += time.perf_counter() - started
        if result["unchanged"] != len(batch):
            raise SystemExit(f"re-run batch {batch_no} wrote rows: {json.dumps(result)[:300]}")

    ledger = importer.call(
        "netmera.migration.ledger",
        "search_count",
        [[["run_id", "=", run_id], ["phase", "=", "contacts"]]],
    )
    return timings, ledger, len(batches)


def main():
    args = parse_args()
    if not (ODOO_SRC / "odoo-bin").exists():
        print(f"bench-import-batch: skipped, no Odoo tree at {ODOO_SRC}")
        return 0

    base, names = prepare_databases(args.prefix)
    log_path = Path(tempfile.gettempdir()) / f"{args.prefix}-odoo.log"
    process, url = start_odoo(args.prefix, args.port, log_path)
    try:
        timings, ledger, batch_count = run_benchmark(url, names, args)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        if not args.keep:
            for name in [base, *names]:
                subprocess.run(["dropdb", "--if-exists", name], check=False)

    import_rate = args.rows / timings["import_batch"]
    load_rate = args.rows / timings["load"]
    rerun_rate = args.rows / timings["rerun"]
    print(f"rows {args.rows}, batch {args.batch} ({batch_count} batches), tags {args.tags}")
    print(
        f"import_batch  {timings['import_batch']:8.2f} s  {import_rate:8.0f} rows/s  ledger lines {ledger}"
    )
    print(f"load()        {timings['load']:8.2f} s  {load_rate:8.0f} rows/s")
    print(f"re-run        {timings['rerun']:8.2f} s  {rerun_rate:8.0f} rows/s (all rows unchanged)")
    print(f"ratio import_batch/load {import_rate / load_rate:.2f}")
    summary = {
        "rows": args.rows,
        "batch": args.batch,
        "import_rows_per_s": round(import_rate),
        "load_rows_per_s": round(load_rate),
        "rerun_rows_per_s": round(rerun_rate),
        "ratio": round(import_rate / load_rate, 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
