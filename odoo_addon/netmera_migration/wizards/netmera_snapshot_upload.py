import base64
import json

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..models.netmera_migration_run import MAPPING_EDITABLE_STATES
from ..models.netmera_migration_run_bridge import UPLOAD_TIMEOUT


class NetmeraSnapshotUpload(models.TransientModel):
    _name = "netmera.snapshot.upload"
    _description = "Upload a Netmera Snapshot to the Bridge"

    run_id = fields.Many2one(
        "netmera.migration.run",
        ondelete="cascade",
        help="Run that receives the snapshot; leave empty to create a new run.",
    )
    name = fields.Char(string="Run Name", help="Name of the new run; the file name by default.")
    snapshot_file = fields.Binary(string="Snapshot (zip)", required=True, attachment=False)
    snapshot_filename = fields.Char()
    mapping_file = fields.Binary(
        string="Mapping (JSON)",
        attachment=False,
        help="The mapping.json confirmed with `netmera-odoo map --confirm` for this snapshot.",
    )
    mapping_filename = fields.Char()

    def action_upload(self):
        """Send the zip to the bridge, then attach the snapshot (and mapping) to a run."""
        self.ensure_one()
        Run = self.env["netmera.migration.run"]
        Run._check_manager()
        if self.run_id and self.run_id.state not in MAPPING_EDITABLE_STATES:
            raise UserError(
                _(
                    "Run %(name)s has already started; upload the snapshot into a new run.",
                    name=self.run_id.name,
                )
            )

        values = self._mapping_values()
        stored = Run._bridge_request(
            "post",
            "/snapshots",
            timeout=UPLOAD_TIMEOUT,
            data=base64.b64decode(self.snapshot_file),
            headers={"Content-Type": "application/zip"},
        )
        values.update(bridge_snapshot_id=stored["snapshotId"], snapshot_hash=stored["snapshotHash"])
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
                snapshot=stored["snapshotId"],
                files=stored.get("files", 0),
            )
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "netmera.migration.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    def _mapping_values(self):
        """Run values from the uploaded mapping.json, with its confirmation when it has one."""
        if not self.mapping_file:
            return {}

        text = base64.b64decode(self.mapping_file).decode("utf-8-sig")
        try:
            mapping = json.loads(text)
        except ValueError as err:
            raise UserError(
                _("%(file)s is not valid JSON: %(error)s", file=self.mapping_filename, error=err)
            ) from err

        values = {"mapping_json": text}
        confirmation = mapping.get("confirmation") if isinstance(mapping, dict) else None
        if confirmation:
            # The bridge's mapping hash, so that the run matches the plan made from this file.
            values.update(
                mapping_hash=confirmation.get("mappingHash"),
                mapping_confirmed_by=confirmation.get("by"),
                mapping_confirmed_at=fields.Datetime.to_string(
                    fields.Datetime.to_datetime(confirmation.get("at", "")[:19].replace("T", " "))
                ),
            )
        return values
