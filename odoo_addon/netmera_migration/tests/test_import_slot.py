from datetime import timedelta

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields, sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NetmeraMigrationCase


@tagged("post_install", "-at_install")
class TestImportSlot(NetmeraMigrationCase):
    """begin_import: one run of a database imports at a time; resumes keep their run."""

    def test_refused_while_another_run_imports(self):
        """A live run refuses a second start by name, and the second run stays authorised."""
        live = self.make_run(name="Full")
        live.heartbeat_at = fields.Datetime.now() - timedelta(seconds=5)
        waiting = self.make_run(name="Sample", state="authorised", is_sample=True, sample_size=3)

        with self.assertRaises(UserError) as refusal:
            waiting.begin_import()

        self.assertRegex(
            str(refusal.exception),
            r"^Run Full \(id %d\) is importing into this database now: its bridge sent a "
            r"heartbeat [0-9]+ s ago, within the lease of 2 min\. Two runs importing at once "
            r"write the same records, so run Sample \(id %d\) did not start and nothing of it "
            r"was written\. Let run %d finish, or stop its migrate \(Ctrl-C\), then run migrate "
            r"again: it continues run %d\.$" % (live.id, waiting.id, live.id, waiting.id),
        )
        self.assertEqual(waiting.state, "authorised")
        self.assertFalse(waiting.started_at)

    def test_interrupted_run_does_not_block(self):
        """A running run without a heartbeat for the lease imports no more, so it does not block."""
        stale = self.make_run(name="Killed")
        stale.heartbeat_at = fields.Datetime.now() - timedelta(seconds=121)
        waiting = self.make_run(name="Next", state="authorised")

        answer = waiting.begin_import()

        self.assertEqual(answer, {"state": "running", "lease_seconds": 120})
        self.assertEqual(waiting.state, "running")
        self.assertTrue(waiting.heartbeat_at)

    def test_resumes_a_running_run_and_records_the_slot(self):
        """A run still running resumes without a state change, with a fresh heartbeat."""
        run = self.make_run(name="Resumed")
        run.heartbeat_at = fields.Datetime.now() - timedelta(hours=1)
        finished = self.make_run(name="Finished")
        finished.action_done()

        answer = run.begin_import()

        self.assertEqual(answer["state"], "running")
        self.assertGreater(run.heartbeat_at, fields.Datetime.now() - timedelta(minutes=1))
        self.env.cr.execute(
            "SELECT value FROM ir_config_parameter WHERE key = %s",
            ("netmera_migration.last_import_started",),
        )
        self.assertEqual(self.env.cr.fetchone()[0], str(run.id))

    def test_needs_a_manager(self):
        """A plain user may not start an import."""
        run = self.make_run(name="Guarded", state="authorised")

        with self.assertRaisesRegex(Exception, "Only Netmera Migration managers"):
            run.with_user(self.plain_user).begin_import()
        self.assertEqual(run.state, "authorised")

    def test_two_starts_at_the_same_moment_conflict(self):
        """On separate connections: a start waits for one in flight, and one whose transaction
        began before the other committed fails and, retried as Odoo's RPC layer does, is
        refused by name."""
        admin_id = self.env.ref("base.user_admin").id
        db_name = self.env.cr.dbname
        cursors = []

        def real_env():
            cr = sql_db.db_connect(db_name).cursor()
            cursors.append(cr)
            return api.Environment(cr, admin_id, {})

        def cleanup():
            while cursors:
                cursors.pop().close()
            env = real_env()
            env.cr.execute("DELETE FROM netmera_migration_run WHERE name IN ('Slot A', 'Slot B')")
            env.cr.execute(
                "DELETE FROM ir_config_parameter WHERE key = 'netmera_migration.last_import_started'"
            )
            env.cr.commit()
            cursors.pop().close()

        self.addCleanup(cleanup)
        setup = real_env()
        ids = []
        for name in ("Slot A", "Slot B"):
            run = setup["netmera.migration.run"].create({"name": name, "mapping_json": "{}"})
            run.action_confirm_mapping()
            run.action_confirm_gdpr("DPA-TEST-1")
            ids.append(run.id)
        setup.cr.commit()

        first = real_env()
        first["netmera.migration.run"].browse(ids[0]).begin_import()
        waiting = real_env()
        waiting.cr.execute("SET lock_timeout = '1s'")
        with self.assertRaises(LockNotAvailable):
            waiting["netmera.migration.run"].browse(ids[1]).begin_import()
        waiting.cr.rollback()

        # This transaction reads before the first start commits.
        stale = real_env()
        stale.cr.execute("SELECT state FROM netmera_migration_run WHERE id = %s", (ids[0],))
        self.assertEqual(stale.cr.fetchone(), ("authorised",))
        first.cr.commit()
        with self.assertRaises(SerializationFailure):
            stale["netmera.migration.run"].browse(ids[1]).begin_import()
        stale.cr.rollback()

        retry = real_env()
        with self.assertRaisesRegex(UserError, r"^Run Slot A \(id %d\) is importing" % ids[0]):
            retry["netmera.migration.run"].browse(ids[1]).begin_import()
        retry.cr.rollback()
        states = retry["netmera.migration.run"].browse(ids).read(["state"])
        self.assertEqual([row["state"] for row in states], ["running", "authorised"])
