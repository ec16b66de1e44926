import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.exceptions import UserError
from odoo.addons.netmera_migration.models.netmera_migration_run import mapping_content_hash
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NetmeraMigrationCase

TOKEN = "addon-test-token-0123456789abcdefghij"


class RecordingBridge(BaseHTTPRequestHandler):
    """Respond the way the bridge API does and record each request for the test."""

    requests = []
    replies = {}

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        status, reply = self.replies.get(self.path, (202, {"id": "job-1", "kind": "x"}))
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestBridgeButtons(NetmeraMigrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingBridge)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param(
            "netmera_migration.bridge_url", f"http://127.0.0.1:{cls.server.server_port}/"
        )
        params.set_param("netmera_migration.bridge_token", TOKEN)

    def setUp(self):
        super().setUp()
        RecordingBridge.requests = []
        RecordingBridge.replies = {}

    def authorised_run(self, **vals):
        run = self.make_run(state="authorised", **vals)
        run.bridge_snapshot_id = "upload-0123456789abcdef"
        return run

    def test_start_sample_posts_snapshot_mapping_and_size(self):
        """Start Sample sends the snapshot, the mapping and the sample size with the token."""
        run = self.authorised_run()
        RecordingBridge.replies = {
            f"/runs/{run.id}/sample": (202, {"id": "job-7", "kind": "sample"})
        }
        run.with_user(self.manager).action_start_sample()

        request = RecordingBridge.requests[0]
        self.assertEqual(request["path"], f"/runs/{run.id}/sample")
        self.assertEqual(request["headers"]["Authorization"], f"Bearer {TOKEN}")
        self.assertEqual(
            json.loads(request["body"]),
            {"snapshotId": "upload-0123456789abcdef", "mapping": {"users": {}}, "sampleSize": 100},
        )
        self.assertTrue(run.is_sample)
        self.assertEqual(run.bridge_job_id, "job-7")
        self.assertEqual(run.bridge_job_state, "running")

    def test_start_migration_after_sample_creates_full_run(self):
        """A sampled run hands the full migration to a new run with the same approvals."""
        run = self.authorised_run(is_sample=True, sample_size=10)
        run.action_start()
        run.action_done()
        self.assertEqual(run.state, "sampled")

        action = run.with_user(self.manager).action_start_migration()
        full = self.Run.browse(action["res_id"])
        self.assertNotEqual(full, run)
        self.assertEqual(full.state, "authorised")
        self.assertFalse(full.is_sample)
        self.assertEqual(full.gdpr_agreement_ref, "DPA-TEST-1")
        self.assertEqual(full.mapping_hash, run.mapping_hash)
        self.assertEqual(full.bridge_snapshot_id, run.bridge_snapshot_id)
        self.assertEqual(RecordingBridge.requests[0]["path"], f"/runs/{full.id}/migrate")

    def test_render_inventory_sends_snapshot(self):
        """Render Inventory sends the run's snapshot and the company name for the cover."""
        run = self.authorised_run()
        run.with_user(self.manager).action_render_inventory()
        request = RecordingBridge.requests[0]
        self.assertEqual(request["path"], f"/runs/{run.id}/inventory")
        self.assertEqual(
            json.loads(request["body"]),
            {"snapshotId": run.bridge_snapshot_id, "customer": self.env.company.name},
        )

    def test_bridge_errors_become_user_errors(self):
        """Refusals of the bridge reach the user as readable messages, never with the token."""
        run = self.authorised_run()
        path = f"/runs/{run.id}/sample"
        cases = [
            (401, {"error": "unauthorized"}, "The bridge rejected the token"),
            (409, {"error": "run 1 already has a job running"}, "run 1 already has a job running"),
            (
                400,
                {
                    "error": "invalid request",
                    "issues": [{"path": "mapping", "message": "required"}],
                },
                "mapping: required",
            ),
        ]
        for status, reply, expected in cases:
            RecordingBridge.replies = {path: (status, reply)}
            with self.subTest(status=status), mute_logger(
                "odoo.addons.netmera_migration.models.netmera_migration_run_bridge"
            ):
                with self.assertRaises(UserError) as caught:
                    run.with_user(self.manager).action_start_sample()
                self.assertIn(expected, str(caught.exception))
                self.assertNotIn(TOKEN, str(caught.exception))

    def test_missing_settings_and_snapshot_are_user_errors(self):
        """Without a snapshot or bridge settings the buttons explain what to set."""
        run = self.make_run(state="authorised")
        with self.assertRaisesRegex(UserError, "has no snapshot yet"):
            run.with_user(self.manager).action_start_sample()

        run.bridge_snapshot_id = "upload-0123456789abcdef"
        self.env["ir.config_parameter"].sudo().set_param("netmera_migration.bridge_token", "")
        with self.assertRaisesRegex(UserError, "bridge URL and token are not set"):
            run.with_user(self.manager).action_start_sample()

    def test_sample_needs_an_authorised_run(self):
        """A draft run cannot start a sample."""
        run = self.make_run(state="draft")
        run.bridge_snapshot_id = "upload-0123456789abcdef"
        with self.assertRaisesRegex(UserError, "cannot start a sample in state draft"):
            run.with_user(self.manager).action_start_sample()
        self.assertEqual(RecordingBridge.requests, [])

    def test_report_bridge_job_stores_state(self):
        """The bridge's job report lands on the run form fields."""
        run = self.authorised_run()
        run.with_user(self.manager).report_bridge_job(
            {
                "job_id": "j1",
                "kind": "migrate",
                "state": "failed",
                "step": "plan",
                "message": "boom",
            }
        )
        self.assertEqual(
            (run.bridge_job_id, run.bridge_job_state, run.bridge_job_step, run.bridge_job_message),
            ("j1", "failed", "plan", "boom"),
        )
        with self.assertRaisesRegex(UserError, "Unknown bridge job state"):
            run.with_user(self.manager).report_bridge_job({"job_id": "j1", "state": "exploded"})

    def test_upload_wizard_creates_confirmed_run(self):
        """Uploading a zip with a confirmed mapping creates a run ready for authorisation."""
        RecordingBridge.replies = {
            "/snapshots": (
                201,
                {"snapshotId": "upload-aaaa", "snapshotHash": "f" * 64, "files": 2},
            )
        }
        mapping = self.confirmed_mapping("f" * 64)
        action = self.upload(mapping).action_upload()
        run = self.Run.browse(action["res_id"])

        request = RecordingBridge.requests[0]
        self.assertEqual(request["headers"]["Content-Type"], "application/zip")
        self.assertEqual(request["body"], b"PK\x05\x06" + b"\0" * 18)
        self.assertEqual(run.name, "acme-2026-12")
        self.assertEqual(run.state, "mapping_confirmed")
        self.assertEqual(run.bridge_snapshot_id, "upload-aaaa")
        self.assertEqual(run.snapshot_hash, "f" * 64)
        self.assertEqual(run.mapping_hash, mapping_content_hash(mapping))
        self.assertEqual(run.mapping_confirmed_by, "Ayşe")
        self.assertEqual(str(run.mapping_confirmed_at), "2026-12-01 09:30:00")

    def confirmed_mapping(self, snapshot_hash):
        mapping = {"version": 1, "entries": [], "settings": {}}
        mapping["confirmation"] = {
            "by": "Ayşe",
            "at": "2026-12-01T09:30:00.000Z",
            "mappingHash": mapping_content_hash(mapping),
            "snapshotHash": snapshot_hash,
        }
        return mapping

    def upload(self, mapping):
        return (
            self.env["netmera.snapshot.upload"]
            .with_user(self.manager)
            .create(
                {
                    "snapshot_file": base64.b64encode(b"PK\x05\x06" + b"\0" * 18),
                    "snapshot_filename": "acme-2026-12.zip",
                    "mapping_file": base64.b64encode(json.dumps(mapping).encode()),
                    "mapping_filename": "mapping.json",
                }
            )
        )

    def test_upload_ignores_a_confirmation_that_no_longer_holds(self):
        """An edited mapping, or one confirmed for another snapshot, leaves the run in draft."""
        RecordingBridge.replies = {
            "/snapshots": (201, {"snapshotId": "upload-b", "snapshotHash": "f" * 64, "files": 2})
        }
        edited = self.confirmed_mapping("f" * 64)
        edited["entries"] = [{"source": {"kind": "column", "name": "x"}}]
        other = self.confirmed_mapping("e" * 64)
        for mapping, reason in (
            (edited, "The uploaded mapping was edited after Ayşe confirmed it"),
            (other, "The uploaded mapping was confirmed by Ayşe for another snapshot"),
        ):
            run = self.Run.browse(self.upload(mapping).action_upload()["res_id"])
            self.assertEqual(run.state, "draft")
            self.assertFalse(run.mapping_confirmed_by)
            self.assertIn(reason, run.message_ids.mapped("body")[0])

    def assert_zip_not_stored(self, zip_bytes):
        """No column of the wizard's table, and no attachment, contains the zip."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'netmera_snapshot_upload' AND data_type IN ('bytea', 'text')"
        )
        self.assertNotIn("snapshot_file", {row[0] for row in self.env.cr.fetchall()})
        self.env.cr.execute("SELECT row_to_json(t)::text FROM netmera_snapshot_upload t")
        rows = [row[0] for row in self.env.cr.fetchall()]
        self.assertTrue(rows)
        for text in rows:
            self.assertNotIn(base64.b64encode(zip_bytes).decode(), text)
            self.assertNotIn("APA91b-secret-push-token", text)
        self.env.cr.execute(
            "SELECT count(*) FROM ir_attachment WHERE res_model = 'netmera.snapshot.upload'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_upload_keeps_no_copy_of_the_zip(self):
        """After the bridge accepts the zip, Odoo's database keeps none of it."""
        RecordingBridge.replies = {
            "/snapshots": (201, {"snapshotId": "upload-bbbb", "snapshotHash": "e" * 64})
        }
        zip_bytes = b"PK\x03\x04devices.csv APA91b-secret-push-token" + b"\0" * 40
        wizard = (
            self.env["netmera.snapshot.upload"]
            .with_user(self.manager)
            .create({"snapshot_file": base64.b64encode(zip_bytes), "snapshot_filename": "b.zip"})
        )
        self.assertEqual(RecordingBridge.requests[0]["body"], zip_bytes)
        self.assertEqual(wizard.bridge_snapshot_id, "upload-bbbb")
        self.assertFalse(wizard.snapshot_file)
        self.assert_zip_not_stored(zip_bytes)

        run = self.Run.browse(wizard.action_upload()["res_id"])

        self.assertEqual((run.bridge_snapshot_id, run.snapshot_hash), ("upload-bbbb", "e" * 64))
        self.assert_zip_not_stored(zip_bytes)

    @mute_logger("odoo.addons.netmera_migration.models.netmera_migration_run_bridge")
    def test_failed_upload_keeps_no_copy_of_the_zip(self):
        """A refused upload raises, and even the unfinished transaction keeps none of the zip."""
        RecordingBridge.replies = {"/snapshots": (400, {"error": "not a zip file"})}
        zip_bytes = b"PK\x03\x04devices.csv APA91b-secret-push-token"
        Upload = self.env["netmera.snapshot.upload"].with_user(self.manager)
        mapping = base64.b64encode(b'{"version": 1, "entries": []}')

        with self.assertRaisesRegex(UserError, "HTTP 400\\): not a zip file"):
            Upload.create(
                {
                    "snapshot_file": base64.b64encode(zip_bytes),
                    "snapshot_filename": "bad.zip",
                    "mapping_file": mapping,
                }
            )

        self.assertEqual(RecordingBridge.requests[0]["body"], zip_bytes)
        self.assertEqual(self.Run.search_count([("bridge_snapshot_id", "!=", False)]), 0)
        self.assert_zip_not_stored(zip_bytes)

    def test_upload_without_zip_is_refused(self):
        """The Upload button needs a zip the bridge accepted."""
        wizard = self.env["netmera.snapshot.upload"].with_user(self.manager).create({"name": "x"})
        with self.assertRaisesRegex(UserError, "Choose the snapshot zip"):
            wizard.action_upload()
        self.assertEqual(RecordingBridge.requests, [])
