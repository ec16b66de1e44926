import json

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.netmera_migration_run import mapping_content_hash
from .common import NetmeraMigrationCase


@tagged("post_install", "-at_install")
class TestStateMachine(NetmeraMigrationCase):
    def test_legal_path_to_done(self):
        """draft, mapping_confirmed, authorised, running, done is the normal path."""
        run = self.make_run(state="draft")
        self.assertEqual(run.state, "draft")

        run.action_confirm_mapping()
        self.assertEqual(run.state, "mapping_confirmed")
        self.assertEqual(run.mapping_confirmed_by, self.env.user.name)
        self.assertTrue(run.mapping_hash)

        run.action_confirm_gdpr("DPA-2024-017")
        self.assertEqual(run.state, "authorised")
        self.assertEqual(run.gdpr_agreement_ref, "DPA-2024-017")
        self.assertEqual(run.gdpr_confirmed_by_id, self.env.user)

        run.action_start()
        self.assertEqual(run.state, "running")
        run.action_done(
            {
                "phases": [
                    {"name": "contacts", "read": 10, "written": 8, "quarantined": 1, "skipped": 1}
                ]
            }
        )
        self.assertEqual(run.state, "done")
        line = run.reconciliation_ids
        self.assertEqual(line.phase, "contacts")
        self.assertTrue(line.balanced)

    def test_sample_run_stops_in_sampled(self):
        """A sample run goes to sampled, then may resume to running or be kept as done."""
        run = self.make_run(is_sample=True, sample_size=100)

        run.action_done()
        self.assertEqual(run.state, "sampled")
        run.action_start()
        self.assertEqual(run.state, "running")

    def test_failed_run_resumes(self):
        """A failed run keeps its error and may start again."""
        run = self.make_run()

        run.action_fail("Odoo timed out")
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.last_error, "Odoo timed out")
        run.action_start()
        self.assertEqual(run.state, "running")
        self.assertFalse(run.last_error)

    def test_illegal_transitions_raise(self):
        """Skipping a state or leaving a final state raises UserError."""
        run = self.make_run(state="draft")
        with self.assertRaisesRegex(UserError, "mapping of run Run is not confirmed yet"):
            run.action_confirm_gdpr("DPA-1")
        with self.assertRaisesRegex(UserError, "needs a confirmed mapping"):
            run.action_start()
        with self.assertRaisesRegex(UserError, "cannot go from draft to done"):
            run.action_done()
        with self.assertRaisesRegex(UserError, "cannot go from draft to failed"):
            run.action_fail("x")

        done = self.make_run(name="Done")
        done.action_done()
        with self.assertRaisesRegex(UserError, "cannot go from done to running"):
            done.action_start()
        done.rollback()
        with self.assertRaisesRegex(UserError, "cannot go from rolled_back to running"):
            done.action_start()

    def test_plain_write_follows_transitions(self):
        """Writing the state directly obeys the same transitions as the actions."""
        run = self.make_run(state="draft")

        with self.assertRaisesRegex(UserError, "cannot go from draft to running"):
            run.write({"state": "running"})
        with self.assertRaisesRegex(UserError, "cannot start in state done"):
            self.Run.create({"name": "Forced", "state": "done"})
        run.write({"state": "mapping_confirmed"})
        self.assertEqual(run.state, "mapping_confirmed")

    def test_start_twice_raises(self):
        """Starting a run that is already running raises UserError."""
        run = self.make_run()

        with self.assertRaisesRegex(UserError, "cannot go from running to running"):
            run.action_start()

    def test_gdpr_needs_agreement_reference(self):
        """Authorising without a data processing agreement reference raises UserError."""
        run = self.make_run(state="mapping_confirmed")

        with self.assertRaisesRegex(UserError, "data processing agreement"):
            run.action_confirm_gdpr("  ")
        self.assertEqual(run.state, "mapping_confirmed")

    def test_gdpr_on_run_made_with_new(self):
        """A run that holds only a name says how to give it a snapshot and a mapping."""
        run = self.Run.create({"name": "serve A"})

        with self.assertRaises(UserError) as caught:
            run.action_confirm_gdpr("DPA-1")

        self.assertEqual(
            str(caught.exception),
            "Run serve A has no snapshot or mapping yet, so there is nothing to authorise. "
            "Click Upload Snapshot on the run form to add the snapshot zip and its mapping, then "
            "Confirm Mapping; or start a bridge job on this run with the snapshot and the "
            f"confirmed mapping (netmera-odoo migrate --run {run.id} --mapping FILE, or POST "
            f"/runs/{run.id}/sample), which attaches them. Then authorise the run.",
        )
        self.assertEqual(run.state, "draft")
        self.assertFalse(run.gdpr_confirmed_at)

    def test_gdpr_twice_and_after_start(self):
        """Authorising again, or after records moved, names the state instead of a transition."""
        run = self.make_run(state="authorised")
        with self.assertRaisesRegex(
            UserError,
            "^Run Run is already authorised under agreement DPA-TEST-1; nothing changed.$",
        ):
            run.action_confirm_gdpr("DPA-2")
        self.assertEqual(run.gdpr_agreement_ref, "DPA-TEST-1")

        run.action_start()
        with self.assertRaisesRegex(
            UserError, "^Run Run is Running: a run is authorised before its first record moves."
        ):
            run.action_confirm_gdpr("DPA-2")

    def test_addon_version_is_the_installed_one(self):
        """The bridge's preflight reads the version of the last install or upgrade."""
        module = self.env["ir.module.module"].search([("name", "=", "netmera_migration")])

        self.assertEqual(self.Run.addon_version(), module.latest_version)
        self.assertRegex(self.Run.addon_version(), r"^\d+\.\d+\.\d+\.\d+\.\d+$")

    def test_gdpr_wizard_authorises(self):
        """The wizard passes its agreement reference to the run."""
        run = self.make_run(state="mapping_confirmed")
        wizard = self.env["netmera.gdpr.authorise.wizard"].create(
            {"run_id": run.id, "agreement_ref": "DPA-9"}
        )

        wizard.action_confirm()

        self.assertEqual(run.state, "authorised")
        self.assertEqual(run.gdpr_agreement_ref, "DPA-9")

    def test_changed_mapping_returns_to_draft(self):
        """Changing the mapping after confirmation clears the approvals."""
        run = self.make_run(state="authorised")

        run.mapping_json = '{"users": {"email": "email"}}'

        self.assertEqual(run.state, "draft")
        self.assertFalse(run.mapping_confirmed_at)
        self.assertFalse(run.gdpr_agreement_ref)

    def test_mapping_frozen_once_running(self):
        """The mapping of a running run cannot change."""
        run = self.make_run()

        with self.assertRaisesRegex(UserError, "cannot change in state running"):
            run.mapping_json = "{}"

    def test_bridge_created_run_starts_confirmed(self):
        """A run created with a confirmation time starts in mapping_confirmed."""
        run = self.Run.create(
            {
                "name": "CLI",
                "mapping_json": "{}",
                "mapping_hash": "abc",
                "mapping_confirmed_by": "ops@example.com",
                "mapping_confirmed_at": "2024-05-01 10:00:00",
            }
        )

        self.assertEqual(run.state, "mapping_confirmed")
        self.assertEqual(len(run.phase_ids), 8)

    def test_confirm_mapping_hashes_as_the_bridge(self):
        """Confirm Mapping stores the bridge's hash and writes the confirmation into the JSON."""
        mapping = {
            "version": 1,
            "snapshotHash": "c" * 64,
            "proposedAt": "2026-12-01T10:00:00.000Z",
            "settings": {"eventConsolidationThreshold": 10, "arraySeparator": ";"},
            "entries": [
                {
                    "source": {"kind": "attribute", "name": "şehir", "label": "Şehir"},
                    "target": {
                        "model": "res.partner",
                        "field": "x_netmera_sehir",
                        "type": "char",
                        "action": "create",
                    },
                    "confidence": 0.1,
                    "reason": "İl bilgisi",
                    "review": False,
                }
            ],
            "confirmation": None,
        }
        run = self.Run.create(
            {
                "name": "Odoo confirmation",
                "mapping_json": json.dumps(mapping),
                "mapping_hash": "stale",
                "snapshot_hash": "d" * 64,
            }
        )

        run.action_confirm_mapping()

        # computeMappingHash of the same mapping in the bridge.
        expected = "1eb850af6bfbe6353c1cdbf2d72b68128883c1dc327b66acd7180862ce6805a2"
        self.assertEqual(run.state, "mapping_confirmed")
        self.assertEqual(run.mapping_hash, expected)
        stored = json.loads(run.mapping_json)
        self.assertEqual(stored["entries"], mapping["entries"])
        self.assertEqual(stored["snapshotHash"], "d" * 64)
        confirmation = stored["confirmation"]
        self.assertEqual(confirmation["by"], self.env.user.name)
        self.assertEqual(confirmation["mappingHash"], expected)
        self.assertEqual(confirmation["snapshotHash"], "d" * 64)
        self.assertRegex(confirmation["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(mapping_content_hash(stored), expected)

    def test_confirm_mapping_rejects_json_that_is_not_an_object(self):
        """A mapping that does not parse as a JSON object cannot be confirmed."""
        run = self.Run.create({"name": "Broken", "mapping_json": "[1, 2"})
        with self.assertRaisesRegex(UserError, "is not valid JSON"):
            run.action_confirm_mapping()
        run.mapping_json = "[1, 2]"
        with self.assertRaisesRegex(UserError, "is not a JSON object"):
            run.action_confirm_mapping()
        self.assertEqual(run.state, "draft")

    def test_confirm_mapping_twice_is_refused(self):
        """Confirming a confirmed run is an illegal transition and keeps the approvals."""
        run = self.make_run(state="authorised")
        with self.assertRaisesRegex(UserError, "cannot go from authorised to mapping_confirmed"):
            run.action_confirm_mapping()
        self.assertEqual(run.state, "authorised")
        self.assertEqual(run.gdpr_agreement_ref, "DPA-TEST-1")
