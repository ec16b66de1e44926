from odoo import fields, models

from .constants import PHASE_SELECTION


class NetmeraMigrationCheckpoint(models.Model):
    """A committed batch; written in the transaction of the batch it records."""

    _name = "netmera.migration.checkpoint"
    _description = "Netmera Migration Batch Checkpoint"
    _order = "run_id, phase, batch_no"

    run_id = fields.Many2one("netmera.migration.run", required=True, ondelete="cascade", index=True)
    phase = fields.Selection(PHASE_SELECTION, required=True)
    batch_no = fields.Integer(required=True)
    result = fields.Text(help="JSON result returned for the batch, returned again on a replay.")
    read_count = fields.Integer()
    created_count = fields.Integer()
    updated_count = fields.Integer()
    unchanged_count = fields.Integer()
    error_count = fields.Integer()

    _sql_constraints = [
        (
            "run_phase_batch_unique",
            "UNIQUE(run_id, phase, batch_no)",
            "A batch number commits once per run and phase.",
        ),
    ]
