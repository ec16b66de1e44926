from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NetmeraMigrationCase, plan_row

CONTACT = {"name": "Ayse K", "email": "ayse@example.com"}
COMPANY = {"name": "Anadolu", "is_company": True}


@tagged("post_install", "-at_install")
class TestRollbackLaterRuns(NetmeraMigrationCase):
    """A run is rolled back only after every later run that started."""

    def migrate(self, name):
        run = self.make_run(name=name)
        self.import_tags(run, ["vip"])
        run.import_batch("contacts", 0, [plan_row("netmera_user_ayse", CONTACT)])
        run.action_done()
        return run

    def test_later_run_blocks_and_names_itself(self):
        """A full run that found the sample's records unchanged blocks the sample's rollback."""
        sample = self.migrate("Sample")
        full = self.migrate("Full")
        contact = self.xml_record("netmera_user_ayse")
        self.assertEqual(
            full.phase_ids.filtered(lambda phase: phase.phase == "contacts").unchanged_count, 1
        )

        with self.assertRaises(UserError) as caught:
            sample.rollback()

        self.assertEqual(
            str(caught.exception),
            f'Run {sample.id} ("Sample") cannot be rolled back while later runs that are not '
            f'rolled back still exist: {full.id} ("Full", done). They may have written, '
            "updated or counted as unchanged the records, custom fields, tags and stages of "
            "this run, and rolling this run back would delete them under their feet. Roll them "
            f"back first, newest first: {full.id}; then roll back run {sample.id}.",
        )
        self.assertEqual(sample.state, "done")
        self.assertTrue(contact.exists())
        self.assertTrue(self.xml_record("netmera_tag_vip"))

    def test_reverse_order_succeeds(self):
        """Three runs roll back newest first; the oldest names both others until then."""
        first = self.migrate("First")
        second = self.migrate("Second")
        third = self.migrate("Third")

        with self.assertRaisesRegex(
            UserError, rf"Roll them back first, newest first: {third.id}, then {second.id};"
        ):
            first.rollback()
        with self.assertRaisesRegex(UserError, rf"exist: {third.id} \(\"Third\", done\)\."):
            second.rollback()

        self.assertEqual(third.rollback(), {"deleted": 0, "restored": 0, "touched": 0})
        self.assertEqual(second.rollback(), {"deleted": 0, "restored": 0, "touched": 0})
        self.assertEqual(first.rollback(), {"deleted": 2, "restored": 0, "touched": 0})
        self.assertEqual((first | second | third).mapped("state"), ["rolled_back"] * 3)
        self.assertFalse(self.xml_record("netmera_user_ayse"))
        self.assertFalse(self.xml_record("netmera_tag_vip"))
        self.assertFalse(
            self.env["netmera.migration.binding"].search_count(
                [("xml_id", "in", ["netmera_user_ayse", "netmera_tag_vip"])]
            )
        )

    def test_runs_that_never_started_do_not_block(self):
        """Draft and authorised runs made after the run read nothing and do not block it."""
        run = self.migrate("First")
        self.make_run(name="Draft", state="draft")
        self.make_run(name="Authorised", state="authorised")

        counts = run.rollback()

        self.assertEqual(counts, {"deleted": 2, "restored": 0, "touched": 0})
        self.assertEqual(run.state, "rolled_back")

    def test_unstarted_run_rolls_back_past_later_runs(self):
        """A run that never started has nothing to undo, so later runs do not block it."""
        draft = self.make_run(name="Never started", state="authorised")
        later = self.migrate("Later")

        counts = draft.rollback()

        self.assertEqual(counts, {"deleted": 0, "restored": 0, "touched": 0})
        self.assertEqual(draft.state, "rolled_back")
        self.assertEqual(later.state, "done")
        self.assertTrue(self.xml_record("netmera_user_ayse"))

    def test_failed_later_run_blocks(self):
        """A later run that failed after its start still blocks the rollback."""
        run = self.migrate("First")
        failed = self.make_run(name="Broken")
        failed.action_fail("network down")

        with self.assertRaisesRegex(UserError, rf"exist: {failed.id} \(\"Broken\", failed\)\."):
            run.rollback()
        failed.rollback()
        self.assertEqual(run.rollback()["deleted"], 2)


@tagged("post_install", "-at_install")
class TestRollbackTouchedRecords(NetmeraMigrationCase):
    """Records people worked on after the run stop the rollback unless it is forced."""

    def setUp(self):
        super().setUp()
        self.run = self.make_run()
        self.run.import_batch("companies", 0, [plan_row("netmera_company_anadolu", COMPANY)])
        self.run.import_batch("contacts", 0, [plan_row("netmera_user_ayse", CONTACT)])
        self.run.action_done()
        self.company = self.xml_record("netmera_company_anadolu")
        self.contact = self.xml_record("netmera_user_ayse")
        # A test runs in one transaction, so a person's later write would carry the run's
        # time. The run's ledger lines and records are moved an hour back instead.
        self.env.cr.execute(
            "UPDATE netmera_migration_ledger SET create_date = create_date - interval '1 hour' "
            "WHERE run_id = %s",
            (self.run.id,),
        )
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = write_date - interval '1 hour' WHERE id IN %s",
            (tuple((self.company | self.contact).ids),),
        )
        self.env.invalidate_all()

    def refusal(self):
        with self.assertRaises(UserError) as caught:
            self.run.rollback()
        self.assertEqual(self.run.state, "done")
        self.assertTrue(self.contact.exists())
        return str(caught.exception)

    def summary(self, changed, messages, referenced):
        return (
            f"{changed} record(s) changed after the run, {messages} record(s) have chatter "
            f"messages not written by the migration, {referenced} reference(s) from other "
            "records point to records the run created."
        )

    def test_untouched_run_rolls_back(self):
        """Without people's work the rollback needs no force."""
        counts = self.run.rollback()

        self.assertEqual(counts, {"deleted": 2, "restored": 0, "touched": 0})

    def test_changed_contact_refuses(self):
        """A contact edited after the run is named with the time of the edit."""
        # Without tracking: a tracking message would be a finding of its own.
        self.contact.with_context(tracking_disable=True).write({"phone": "+90 555 123 45 67"})
        edited = self.contact.write_date.replace(microsecond=0)

        message = self.refusal()

        self.assertIn(self.summary(1, 0, 0), message)
        self.assertIn(
            f'- res.partner {self.contact.id} "Ayse K" changed at {edited} UTC, after the run '
            "wrote it\n",
            message,
        )
        self.assertIn("netmera-odoo rollback --force", message)

    def test_lead_reference_refuses(self):
        """A lead whose customer is a contact of the run stops the rollback."""
        lead = self.env["crm.lead"].create({"name": "Big deal", "partner_id": self.contact.id})

        message = self.refusal()

        self.assertIn(self.summary(0, 0, 1), message)
        self.assertIn(
            f'- crm.lead {lead.id} "Big deal" points to res.partner {self.contact.id} "Ayse K" '
            "in its field Customer\n",
            message,
        )

    def test_person_note_refuses(self):
        """A note a person posted on a contact of the run would go with the contact."""
        self.contact.with_user(self.manager).message_post(
            body="Called her", message_type="comment", subtype_xmlid="mail.mt_note"
        )

        message = self.refusal()

        self.assertIn(self.summary(0, 1, 0), message)
        self.assertIn(
            f'- res.partner {self.contact.id} "Ayse K" has 1 chatter message(s) not written by '
            "the migration\n",
            message,
        )

    def test_child_contact_refuses(self):
        """A contact a salesperson created under a company of the run stops the rollback."""
        child = self.Partner.create({"name": "Child by sales", "parent_id": self.company.id})

        message = self.refusal()

        # The child's company and its commercial entity both point to the company.
        self.assertIn(self.summary(0, 0, 2), message)
        self.assertIn(
            f'- res.partner {child.id} "Anadolu, Child by sales" points to res.partner '
            f'{self.company.id} "Anadolu" in its field Related Company\n',
            message,
        )

    def test_force_rolls_back_and_posts_what_it_removed(self):
        """With force the rollback runs as before and the run's chatter lists the findings."""
        lead = self.env["crm.lead"].create({"name": "Big deal", "partner_id": self.contact.id})
        self.contact.with_user(self.manager).message_post(
            body="Called her", message_type="comment", subtype_xmlid="mail.mt_note"
        )
        self.contact.write({"phone": "+90 555 123 45 67"})

        counts = self.run.rollback(force=True)

        note = self.run.message_ids.filtered(lambda message: "Forced rollback" in message.body)
        self.assertEqual(len(note), 1, self.run.message_ids.mapped("body"))
        self.assertEqual(counts, {"deleted": 2, "restored": 0, "touched": 3}, note.body)
        self.assertEqual(self.run.state, "rolled_back")
        self.assertFalse(self.contact.exists())
        self.assertFalse(self.company.exists())
        self.assertFalse(lead.partner_id)
        self.assertIn(
            "Forced rollback: 1 record(s) changed after the run, 1 record(s) with chatter "
            "messages not written by the migration, 1 reference(s) from other records to "
            "records of the run.",
            note.body,
        )
        self.assertIn(f"crm.lead {lead.id}", note.body)

    def test_button_shows_the_refusal(self):
        """The form's Rollback button raises the same refusal."""
        self.env["crm.lead"].create({"name": "Big deal", "partner_id": self.contact.id})

        with self.assertRaisesRegex(UserError, "was not rolled back: people worked on"):
            self.run.with_user(self.manager).action_rollback()
        self.assertEqual(self.run.state, "done")

    def test_updated_record_restored_by_later_rollback_is_not_touched(self):
        """A later run's rollback rewrites records of this run; that is no person's work."""
        later = self.make_run(name="Later")
        later.import_batch(
            "contacts", 0, [plan_row("netmera_user_ayse", {**CONTACT, "email": "new@example.com"})]
        )
        later.action_done()
        later.rollback()
        self.assertEqual(self.contact.email, "ayse@example.com")

        counts = self.run.rollback()

        self.assertEqual(counts["touched"], 0)
        self.assertFalse(self.contact.exists())


@tagged("post_install", "-at_install")
class TestRollbackBindings(NetmeraMigrationCase):
    """After a rollback the binding table holds exactly its rows from before the run."""

    def bindings(self):
        self.env["netmera.migration.binding"].flush_model()
        self.env.cr.execute(
            """
            SELECT xml_id, model, res_id, phase, content_hash, create_date, write_date
              FROM netmera_migration_binding ORDER BY xml_id
            """
        )
        return self.env.cr.fetchall()

    def test_unchanged_records_get_their_bindings_back(self):
        """Bindings of records the run counted unchanged go away or get their old hash back."""
        # As after Odoo's CSV importer: records with external IDs, no binding.
        tag = self.env["res.partner.category"].create({"name": "VIP"})
        contact = self.Partner.create(CONTACT)
        for name, record in (("netmera_tag_vip", tag), ("netmera_user_ayse", contact)):
            self.env["ir.model.data"].create(
                {"module": "__import__", "name": name, "model": record._name, "res_id": record.id}
            )
        # A record a rollback-free older run bound with an older hash.
        other = self.Partner.create({"name": "Old Bound"})
        self.env["ir.model.data"].create(
            {
                "module": "__import__",
                "name": "netmera_user_old",
                "model": "res.partner",
                "res_id": other.id,
            }
        )
        self.env.cr.execute(
            """
            INSERT INTO netmera_migration_binding
                   (xml_id, model, res_id, phase, content_hash, create_uid, write_uid,
                    create_date, write_date)
            VALUES ('netmera_user_old', 'res.partner', %s, 'contacts', 'old-hash', 1, 1,
                    '2026-01-02 03:04:05', '2026-01-02 03:04:05')
            """,
            (other.id,),
        )
        before = self.bindings()
        self.assertEqual(
            before,
            [
                (
                    "netmera_user_old",
                    "res.partner",
                    other.id,
                    "contacts",
                    "old-hash",
                    before[0][5],
                    before[0][6],
                )
            ],
        )

        run = self.make_run()
        result = self.import_tags(run, ["vip"])
        self.assertEqual((result["created"], result["updated"], result["unchanged"]), (0, 0, 1))
        result = run.import_batch(
            "contacts",
            0,
            [
                plan_row("netmera_user_ayse", CONTACT),
                plan_row("netmera_user_old", {"name": "Old Bound"}),
                plan_row("netmera_user_new", {"name": "New"}),
            ],
        )
        self.assertEqual((result["created"], result["updated"], result["unchanged"]), (1, 0, 2))
        self.assertEqual(
            [row[0] for row in self.bindings()],
            ["netmera_tag_vip", "netmera_user_ayse", "netmera_user_new", "netmera_user_old"],
        )
        self.assertEqual(self.Ledger.search_count([("run_id", "=", run.id)]), 1)
        run.action_done()

        counts = run.rollback()

        self.assertEqual(counts, {"deleted": 1, "restored": 0, "touched": 0})
        self.assertEqual(self.bindings(), before)
        self.assertFalse(
            self.env["netmera.migration.binding.backup"].search_count([("run_id", "=", run.id)])
        )
        self.assertEqual(self.xml_record("netmera_user_ayse"), contact)
        self.assertEqual(self.xml_record("netmera_tag_vip"), tag)
        self.assertFalse(self.xml_record("netmera_user_new"))
