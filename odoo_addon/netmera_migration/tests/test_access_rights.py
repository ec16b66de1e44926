from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestAccessRights(NetmeraMigrationCase):
    def setUp(self):
        super().setUp()
        self.run = self.make_run()
        self.as_user = self.run.with_user(self.plain_user)

    def test_plain_user_cannot_import(self):
        """A Netmera user who is not a manager gets AccessError on import_batch."""
        with self.assertRaises(AccessError):
            self.as_user.import_batch("contacts", 0, [plan_row("netmera_user_z", {"name": "Z"})])
        self.assertFalse(self.xml_record("netmera_user_z"))

    def test_plain_user_cannot_confirm(self):
        """A plain user gets AccessError on every confirmation."""
        draft = self.make_run(name="Draft", state="draft").with_user(self.plain_user)
        with self.assertRaises(AccessError):
            draft.action_confirm_mapping()
        with self.assertRaises(AccessError):
            draft.action_confirm_gdpr("DPA-1")
        with self.assertRaises(AccessError):
            self.as_user.action_start()

    def test_plain_user_cannot_roll_back(self):
        """A plain user gets AccessError on rollback."""
        self.run.action_done()
        with self.assertRaises(AccessError):
            self.run.with_user(self.plain_user).rollback()
        self.assertEqual(self.run.state, "done")

    def test_plain_user_reads_runs(self):
        """A plain user may read runs and their counters."""
        self.assertEqual(self.as_user.name, "Run")
        self.assertEqual(len(self.as_user.phase_ids), 8)

    def test_manager_imports(self):
        """A manager who is not an administrator imports and rolls back."""
        as_manager = self.run.with_user(self.manager)

        result = as_manager.import_batch("contacts", 0, [plan_row("netmera_user_m", {"name": "M"})])
        self.assertEqual(result["created"], 1)
        as_manager.action_done()
        self.assertEqual(as_manager.rollback(), {"deleted": 1, "restored": 0, "touched": 0})
