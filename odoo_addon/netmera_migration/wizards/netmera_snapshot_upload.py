import base64
import json

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..models.netmera_migration_run import MAPPING_EDITABLE_STATES, mapping_content_hash
from ..models.netmera_migration_run_bridge import UPLOAD_TIMEOUT


class NetmeraSnapshotUpload(models.TransientModel):
    """Send a snapshot zip to the bridge without keeping it in Odoo's database.

    The zip contains the users' personal data and push tokens. ``snapshot_file`` and
    ``mapping_file`` are therefore not stored: their inverse sends the zip to the bridge while
    the wizard is created (the form saves it before its button runs) and keeps only the
    bridge's answer and the mapping text. A transient record lives until the autovacuum, so a
    stored column would put every snapshot into each database backup taken in between.
    """

    _name = "netmera.snapshot.upload"
    _description = "Upload a Netmera Snapshot to the Bridge"

    run_id = fields.Many2one(
        "netmera.migration.run",
        ondelete="cascade",
        help="Run that receives the snapshot; leave empty to create a new run.",
    )
    name = fields.Char(string="Run Name", help="Name of the new run; the file name by default.")
    snapshot_file = fields.Binary(
        string="Snapshot (zip)",
        compute="_compute_files",
        inverse="_inverse_files",
        help="Sent to the bridge when you press Upload; Odoo does not keep a copy.",
    )
    snapshot_filename = fields.Char()
    mapping_file = fields.Binary(
        string="Mapping (JSON)",
        compute="_compute_files",
        inverse="_inverse_files",
        help="The mapping.json confirmed with `netmera-odoo map --confirm` for this snapshot.",
    )
    mapping_filename = fields.Char()
    # The bridge's answer to the upload, and the mapping, until action_upload uses them.
    bridge_snapshot_id = fields.Char(readonly=True)
    bridge_snapshot_hash = fields.Char(readonly=True)
    bridge_file_count = fields.Integer(readonly=True)
    mapping_text = fields.Text(readonly=True)

    def init(self):
        # Versions before this one stored both files in these columns; drop them with the
        # zips they still hold.
        self.env.cr.execute(
            "ALTER TABLE netmera_snapshot_upload "
            "DROP COLUMN IF EXISTS snapshot_file, DROP COLUMN IF EXISTS mapping_file"
        )

    def _compute_files(self):
        self.snapshot_file = False
        self.mapping_file = False

    def _inverse_files(self):
        """Check the target run and the mapping, then send the zip to the bridge."""
        Run = self.env["netmera.migration.run"]
        for wizard in self:
            values = {}
            if wizard.mapping_file:
                values["mapping_text"] = base64.b64decode(wizard.mapping_file).decode("utf-8-sig")
                wizard._parse_mapping(values["mapping_text"])
            if wizard.snapshot_file:
                Run._check_manager()
                wizard._check_target_run()
                stored = Run._bridge_request(
                    "post",
                    "/snapshots",
                    timeout=UPLOAD_TIMEOUT,
                    data=base64.b64decode(wizard.snapshot_file),
                    headers={"Content-Type": "application/zip"},
                )
                values.update(
                    bridge_snapshot_id=stored["snapshotId"],
                    bridge_snapshot_hash=stored["snapshotHash"],
                    bridge_file_count=stored.get("files", 0),
                )
            if values:
                wizard.write(values)
        # Out of the cache as well, so that the form's read after saving does not send the
        # zip back to the browser.
        self.invalidate_recordset(["snapshot_file", "mapping_file"])

    def _check_target_run(self):
        if self.run_id and self.run_id.state not in MAPPING_EDITABLE_STATES:
            raise UserError(
                _(
                    "Run %(name)s has already started; upload the snapshot into a new run.",
                    name=self.run_id.name,
                )
            )

    def action_upload(self):
        """Attach the snapshot the bridge accepted (and the mapping) to a run."""
        self.ensure_one()
        Run = self.env["netmera.migration.run"]
        Run._check_manager()
        if not self.bridge_snapshot_id:
            raise UserError(_("Choose the snapshot zip to upload."))
        self._check_target_run()

        values, problem = self._mapping_values()
        values.update(
            bridge_snapshot_id=self.bridge_snapshot_id, snapshot_hash=self.bridge_snapshot_hash
        )
        if self.run_id:
            run = self.run_id
            confirmation = {
                key: values.pop(key)
                for key in ("mapping_confirmed_by", "mapping_confirmed_at")
                if key in values
            }
            # A new mapping sends a confirmed run back to draft, which also clears its
            # confirmation, so the uploaded file's confirmation is written afterwards.
            run.write(values)
            if confirmation:
                run.write(confirmation)
                if run.state == "draft":
                    run._set_state("mapping_confirmed")
        else:
            name = self.name or (self.snapshot_filename or "").removesuffix(".zip") or _("Snapshot")
            run = Run.create({"name": name, **values})
        run.message_post(
            body=_(
                "Snapshot %(file)s uploaded to the bridge as %(snapshot)s (%(files)s files).",
                file=self.snapshot_filename or "",
                snapshot=self.bridge_snapshot_id,
                files=self.bridge_file_count,
            )
        )
        if problem:
            run.message_post(body=problem)
        self.write({"mapping_text": False})
        return {
            "type": "ir.actions.act_window",
            "res_model": "netmera.migration.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    def _parse_mapping(self, text):
        try:
            return json.loads(text)
        except ValueError as err:
            raise UserError(
                _("%(file)s is not valid JSON: %(error)s", file=self.mapping_filename, error=err)
            ) from err

    def _mapping_values(self):
        """Return run values from the uploaded mapping.json and why its confirmation was not taken.

        The confirmation is taken only when it still holds: the file's content hash is the one
        confirmed, and it was confirmed for the uploaded snapshot. Otherwise the run starts
        unconfirmed, so that Confirm Mapping is the next step, and the reason is returned.
        """
        if not self.mapping_text:
            return {}, None

        mapping = self._parse_mapping(self.mapping_text)
        values = {"mapping_json": self.mapping_text}
        confirmation = mapping.get("confirmation") if isinstance(mapping, dict) else None
        if isinstance(confirmation, dict):
            by = confirmation.get("by") or _("someone")
            if confirmation.get("mappingHash") != mapping_content_hash(mapping):
                return values, _(
                    "The uploaded mapping was edited after %(by)s confirmed it, so the run is "
                    "not confirmed: review the mapping, then press Confirm Mapping.",
                    by=by,
                )
            if confirmation.get("snapshotHash") != self.bridge_snapshot_hash:
                return values, _(
                    "The uploaded mapping was confirmed by %(by)s for another snapshot, so the "
                    "run is not confirmed: check that it fits this snapshot, then press Confirm "
                    "Mapping.",
                    by=by,
                )
            # The bridge's mapping hash, so that the run matches the plan made from this file.
            values.update(
                mapping_hash=confirmation.get("mappingHash"),
                mapping_confirmed_by=confirmation.get("by"),
                mapping_confirmed_at=fields.Datetime.to_string(
                    fields.Datetime.to_datetime(confirmation.get("at", "")[:19].replace("T", " "))
                ),
            )
        return values, None
