from odoo import fields, models

from .constants import PHASE_SELECTION


class NetmeraMigrationBindingBackup(models.Model):
    """A binding as it was before a run first wrote it, or the fact that there was none.

    Runs write bindings for every record they create, change or find already up to date.
    Records found up to date leave no ledger line, so the ledger cannot restore their bindings.
    """

    _name = "netmera.migration.binding.backup"
    _description = "Netmera Migration Binding Before a Run"
    _log_access = False

    run_id = fields.Many2one("netmera.migration.run", required=True, ondelete="cascade", index=True)
    xml_id = fields.Char(string="External ID", required=True)
    existed = fields.Boolean(help="Whether the external ID had a binding before the run.")
    model = fields.Char()
    res_id = fields.Integer()
    phase = fields.Selection(PHASE_SELECTION)
    content_hash = fields.Char()
    field_hashes = fields.Text()
    binding_create_uid = fields.Integer()
    binding_create_date = fields.Datetime()
    binding_write_uid = fields.Integer()
    binding_write_date = fields.Datetime()

    _sql_constraints = [
        ("run_xml_id_unique", "UNIQUE(run_id, xml_id)", "A run saves a binding once."),
    ]
