from odoo import api, fields, models

from .constants import PHASE_SELECTION


class NetmeraMigrationReconciliation(models.Model):
    """Figures the bridge reports for one phase when a run finishes."""

    _name = "netmera.migration.reconciliation"
    _description = "Netmera Migration Reconciliation Line"
    _order = "run_id, id"

    run_id = fields.Many2one("netmera.migration.run", required=True, ondelete="cascade", index=True)
    phase = fields.Selection(PHASE_SELECTION, required=True)
    read_count = fields.Integer(string="Read")
    planned_count = fields.Integer(string="Planned")
    written_count = fields.Integer(string="Written")
    quarantined_count = fields.Integer(string="Quarantined")
    skipped_count = fields.Integer(string="Skipped")
    error_count = fields.Integer(string="Odoo Errors")
    balanced = fields.Boolean(
        compute="_compute_balanced",
        help="Read equals written plus quarantined plus skipped.",
    )

    @api.depends("read_count", "written_count", "quarantined_count", "skipped_count")
    def _compute_balanced(self):
        for line in self:
            line.balanced = line.read_count == (
                line.written_count + line.quarantined_count + line.skipped_count
            )
