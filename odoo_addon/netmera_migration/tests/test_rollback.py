from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models import netmera_migration_run_rollback
from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestRollback(NetmeraMigrationCase):
    def setUp(self):
        super().setUp()
        self.old_tag = self.env["res.partner.category"].create({"name": "Existing"})
        self.untouched = self.Partner.create(
            {
                "name": "Untouched",
                "email": "keep@example.com",
                "category_id": [(6, 0, self.old_tag.ids)],
            }
        )
        self.bound = self.Partner.create(
            {
                "name": "Old Name",
                "email": "old@example.com",
                "category_id": [(6, 0, self.old_tag.ids)],
            }
        )
        self.env["ir.model.data"].create(
            {
                "module": "__import__",
                "name": "netmera_user_bound",
                "model": "res.partner",
                "res_id": self.bound.id,
            }
        )
        self.untouched_write_date = self.untouched.write_date
        self.run = self.make_run()

    def migrate(self):
        run = self.run
        run.import_batch(
            "schema",
            0,
            [
                plan_row(
                    "netmera_field_points",
                    {
                        "kind": "field",
                        "name": "x_netmera_points",
                        "ttype": "integer",
                        "field_description": "Points",
                    },
                ),
                {"values": {"kind": "lang", "code": "tr_TR"}},
            ],
        )
        self.import_tags(run, ["vip"])
        run.import_batch(
            "contacts",
            0,
            [
                plan_row(
                    "netmera_user_bound",
                    {
                        "name": "New Name",
                        "email": "new@example.com",
                        "lang": "tr_TR",
                        "x_netmera_points": 5,
                        "category_id": {"xml_ids": ["netmera_tag_vip"]},
                    },
                ),
                plan_row(
                    "netmera_user_created",
                    {
                        "name": "Created",
                        "x_netmera_points": 7,
                        "category_id": {"xml_ids": ["netmera_tag_vip"]},
                    },
                ),
            ],
        )
        created = self.xml_record("netmera_user_created")
        # Notes as the history phase writes them: created records with ledger lines.
        notes = created.message_post(
            body="Opened the app", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        notes |= self.bound.message_post(
            body="Bought", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        run._write_ledger(
            "history",
            0,
            [
                {"model": "mail.message", "res_id": note.id, "xml_id": False, "operation": "create"}
                for note in notes
            ],
        )
        return created, notes

    def test_rollback_restores_pre_run_state(self):
        """Rollback deletes what the run created and restores what it changed."""
        created, notes = self.migrate()
        vip = self.xml_record("netmera_tag_vip")
        self.assertEqual(self.bound.x_netmera_points, 5)
        self.assertEqual(self.bound.category_id, self.old_tag | vip)
        self.run.action_done()

        counts = self.run.rollback()

        self.assertEqual(self.run.state, "rolled_back")
        self.assertFalse(created.exists())
        self.assertFalse(notes.exists())
        self.assertFalse(vip.exists())
        self.assertFalse(self.xml_record("netmera_user_created"))
        self.assertFalse(
            self.env["ir.model.fields"].search(
                [("model", "=", "res.partner"), ("name", "=", "x_netmera_points")]
            )
        )
        self.assertNotIn("x_netmera_points", self.env["res.partner"]._fields)
        self.assertFalse(self.env["res.lang"]._lang_get("tr_TR").active)
        self.assertEqual(self.bound.name, "Old Name")
        self.assertEqual(self.bound.email, "old@example.com")
        self.assertEqual(self.bound.lang, "en_US")
        self.assertEqual(self.bound.category_id, self.old_tag)
        self.assertEqual(self.xml_record("netmera_user_bound"), self.bound)
        self.assertEqual(self.untouched.name, "Untouched")
        self.assertEqual(self.untouched.category_id, self.old_tag)
        self.assertEqual(self.untouched.write_date, self.untouched_write_date)
        # Deleted: created contact, two notes, tag, field. Restored: the bound contact, tr_TR.
        self.assertEqual(counts, {"deleted": 5, "restored": 2, "touched": 0})
        self.assertFalse(
            self.env["netmera.migration.binding"].search(
                [
                    (
                        "xml_id",
                        "in",
                        ["netmera_user_bound", "netmera_user_created", "netmera_tag_vip"],
                    )
                ]
            )
        )

    def test_rollback_is_idempotent(self):
        """A second rollback does nothing and returns zero counts."""
        self.migrate()
        self.run.action_fail("stopped")
        self.run.rollback()
        ledger_state = self.Ledger.search([("run_id", "=", self.run.id)]).mapped("rolled_back")

        second = self.run.rollback()

        self.assertEqual(second, {"deleted": 0, "restored": 0, "touched": 0})
        self.assertEqual(self.run.state, "rolled_back")
        self.assertTrue(all(ledger_state))

    def test_rollback_refused_while_running(self):
        """Rollback raises UserError while the run is running and changes nothing."""
        created, _notes = self.migrate()

        with self.assertRaisesRegex(UserError, "is running"):
            self.run.rollback()

        self.assertTrue(created.exists())
        self.assertEqual(self.run.state, "running")

    def test_rollback_of_interrupted_run(self):
        """A running run without a heartbeat for the lease is marked failed, then rolled back."""
        created, _notes = self.migrate()
        self.run.heartbeat_at = fields.Datetime.now() - timedelta(seconds=121)
        self.assertTrue(self.run.is_interrupted)
        self.assertIn("longer than the lease of 2 min", self.run.interrupted_message)

        counts = self.run.rollback()

        self.assertGreater(counts["deleted"], 0)
        self.assertFalse(created.exists())
        self.assertEqual(self.run.state, "rolled_back")
        self.assertTrue(self.run.last_error.startswith("Interrupted: the bridge has sent no"))

    def test_rollback_lease_from_argument_and_setting(self):
        """The caller's lease wins over the setting; a fresh heartbeat still refuses."""
        created, _notes = self.migrate()
        self.run.heartbeat_at = fields.Datetime.now() - timedelta(seconds=30)
        self.env["ir.config_parameter"].sudo().set_param("netmera_migration.lease_seconds", 20)
        self.assertTrue(self.run.is_interrupted)

        with self.assertRaisesRegex(UserError, "within the lease of 1 min"):
            self.run.rollback(lease_seconds=60)
        self.assertEqual(self.run.state, "running")
        self.assertTrue(created.exists())

        self.run.rollback()
        self.assertEqual(self.run.state, "rolled_back")

    def test_heartbeat_renews_the_lease(self):
        """heartbeat() on a running run stores the time and returns state and lease."""
        self.migrate()
        self.run.heartbeat_at = fields.Datetime.now() - timedelta(hours=1)
        self.assertTrue(self.run.is_interrupted)

        answer = self.run.heartbeat()

        self.assertEqual(answer, {"state": "running", "lease_seconds": 120})
        self.assertFalse(self.run.is_interrupted)
        with self.assertRaisesRegex(UserError, "is running"):
            self.run.rollback()

    def test_rerun_after_rollback_creates_again(self):
        """After a rollback a new run of the same rows writes them again."""
        self.migrate()
        self.run.action_done()
        self.run.rollback()
        second = self.make_run(name="Second")

        self.import_tags(second, ["vip"])

        self.assertTrue(self.xml_record("netmera_tag_vip"))
        self.assertEqual(
            self.Ledger.search_count([("run_id", "=", second.id), ("operation", "=", "create")]), 1
        )

    def test_two_updates_in_one_run_restore_first_values(self):
        """Two updates of one record in a run roll back to the values before the first."""
        self.run.import_batch(
            "contacts", 0, [plan_row("netmera_user_bound", {"name": "Second Name"})]
        )
        self.run.import_batch(
            "contacts", 1, [plan_row("netmera_user_bound", {"name": "Third Name"})]
        )
        self.run.action_done()

        self.run.rollback()

        self.assertEqual(self.bound.name, "Old Name")

    def test_rollback_in_small_chunks(self):
        """Rollback in chunks of two ledger lines reaches the same pre-run state."""
        created, notes = self.migrate()
        self.run.import_batch(
            "contacts", 1, [plan_row("netmera_user_bound", {"name": "Later Name"})]
        )
        self.run.action_done()

        with patch.object(netmera_migration_run_rollback, "ROLLBACK_CHUNK_SIZE", 2):
            counts = self.run.rollback()

        self.assertFalse(created.exists())
        self.assertFalse(notes.exists())
        self.assertFalse(self.xml_record("netmera_tag_vip"))
        self.assertNotIn("x_netmera_points", self.env["res.partner"]._fields)
        self.assertEqual(self.bound.name, "Old Name")
        self.assertEqual(self.bound.email, "old@example.com")
        self.assertEqual(self.bound.category_id, self.old_tag)
        self.assertEqual(counts["deleted"], 5)
        self.assertFalse(
            self.Ledger.search_count([("run_id", "=", self.run.id), ("rolled_back", "=", False)])
        )
