import hashlib
import json

from odoo.tests.common import TransactionCase, new_test_user


def row_hash(values):
    """Hash a row the way the bridge does: sha256 of canonical JSON, first 32 hex digits."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def plan_row(xml_id, values):
    return {"xml_id": xml_id, "values": values, "hash": row_hash(values)}


class NetmeraMigrationCase(TransactionCase):
    """Base case with a manager, a plain user and helpers to build running runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="nm_manager",
            groups="base.group_user,base.group_partner_manager,"
            "netmera_migration.group_netmera_migration_manager",
        )
        cls.plain_user = new_test_user(
            cls.env,
            login="nm_user",
            groups="base.group_user,netmera_migration.group_netmera_migration_user",
        )
        cls.Run = cls.env["netmera.migration.run"]
        cls.Partner = cls.env["res.partner"]
        cls.Ledger = cls.env["netmera.migration.ledger"]

    def make_run(self, name="Run", state="running", **vals):
        """Create a run and walk it through the legal states up to ``state``."""
        run = self.Run.create({"name": name, "mapping_json": '{"users": {}}', **vals})
        if state == "draft":
            return run
        run.action_confirm_mapping()
        if state == "mapping_confirmed":
            return run
        run.action_confirm_gdpr("DPA-TEST-1")
        if state == "authorised":
            return run
        run.action_start()
        return run

    def xml_record(self, xml_id):
        return self.env.ref(f"__import__.{xml_id}", raise_if_not_found=False)

    def import_tags(self, run, names, batch_no=0):
        rows = [plan_row(f"netmera_tag_{name}", {"name": name.upper()}) for name in names]
        return run.import_batch("tags", batch_no, rows)
