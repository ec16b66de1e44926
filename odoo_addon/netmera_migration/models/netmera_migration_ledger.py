from odoo import fields, models

from .constants import PHASE_SELECTION


class NetmeraMigrationLedger(models.Model):
    """One record a run created or changed, with what rollback needs to undo it."""

    _name = "netmera.migration.ledger"
    _description = "Netmera Migration Ledger Entry"
    _order = "id desc"

    run_id = fields.Many2one("netmera.migration.run", required=True, ondelete="cascade", index=True)
    phase = fields.Selection(PHASE_SELECTION, required=True)
    batch_no = fields.Integer(required=True)
    model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    xml_id = fields.Char(string="External ID")
    operation = fields.Selection([("create", "Create"), ("update", "Update")], required=True)
    previous_values = fields.Text(
        help="JSON object of the changed fields and their values before the run wrote them.",
    )
    links_added = fields.Text(
        help="JSON object of many2many field -> list of ids the run linked (for example tags).",
    )
    links_removed = fields.Text(
        help="JSON object of many2many field -> list of ids the run unlinked: links to records "
        "of an earlier run that the new plan row no longer has.",
    )
    content_hash = fields.Char(help="Hash of the plan row the run wrote.")
    previous_hash = fields.Char(help="Content hash bound to the external ID before the run.")
    rolled_back = fields.Boolean(readonly=True)
