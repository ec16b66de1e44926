from odoo import api, fields, models

from .constants import PHASE_SELECTION

# Counter name on the phase line -> column of the checkpoint that feeds it.
CHECKPOINT_COUNTERS = {
    "read_count": "read_count",
    "created_count": "created_count",
    "updated_count": "updated_count",
    "unchanged_count": "unchanged_count",
    "error_count": "error_count",
}


class NetmeraMigrationPhase(models.Model):
    """Counters of one phase of a run.

    Batch counters are summed from the checkpoints instead of being incremented by each batch:
    the bridge sends several batches of a phase at once, and concurrent updates of one counter
    row would make PostgreSQL abort all but one of those transactions.
    """

    _name = "netmera.migration.phase"
    _description = "Netmera Migration Phase Counters"
    _order = "run_id, sequence"

    run_id = fields.Many2one("netmera.migration.run", required=True, ondelete="cascade", index=True)
    phase = fields.Selection(PHASE_SELECTION, required=True)
    sequence = fields.Integer(compute="_compute_sequence", store=True)
    read_count = fields.Integer(string="Read", compute="_compute_batch_counters")
    created_count = fields.Integer(string="Created", compute="_compute_batch_counters")
    updated_count = fields.Integer(string="Updated", compute="_compute_batch_counters")
    unchanged_count = fields.Integer(string="Unchanged", compute="_compute_batch_counters")
    error_count = fields.Integer(string="Errors", compute="_compute_batch_counters")
    batch_count = fields.Integer(string="Batches", compute="_compute_batch_counters")
    quarantined_count = fields.Integer(string="Quarantined")
    skipped_count = fields.Integer(string="Skipped")

    _sql_constraints = [
        ("run_phase_unique", "UNIQUE(run_id, phase)", "A run has one counter line per phase."),
    ]

    @api.depends("phase")
    def _compute_sequence(self):
        order = [phase for phase, _label in PHASE_SELECTION]
        for line in self:
            line.sequence = order.index(line.phase) if line.phase in order else len(order)

    def _compute_batch_counters(self):
        aggregates = [f"{column}:sum" for column in CHECKPOINT_COUNTERS.values()] + ["__count"]
        groups = (
            self.env["netmera.migration.checkpoint"]
            .sudo()
            ._read_group([("run_id", "in", self.run_id.ids)], ["run_id", "phase"], aggregates)
        )
        totals = {(run.id, phase): values for run, phase, *values in groups}
        for line in self:
            values = totals.get((line.run_id.id, line.phase))
            for position, counter in enumerate(CHECKPOINT_COUNTERS):
                line[counter] = values[position] if values else 0
            line.batch_count = values[-1] if values else 0
