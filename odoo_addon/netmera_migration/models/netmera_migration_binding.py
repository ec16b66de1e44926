from odoo import fields, models

from .constants import PHASE_SELECTION


class NetmeraMigrationBinding(models.Model):
    """Last content hash written for an external ID, shared by all runs.

    A plan row whose hash equals the bound one is skipped without reading the record, so
    re-running a snapshot writes nothing.
    """

    _name = "netmera.migration.binding"
    _description = "Netmera Migration External ID Binding"
    _rec_name = "xml_id"

    xml_id = fields.Char(string="External ID", required=True, help="Name without the module.")
    model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    phase = fields.Selection(PHASE_SELECTION, required=True)
    content_hash = fields.Char(required=True)

    _sql_constraints = [
        ("xml_id_unique", "UNIQUE(xml_id)", "An external ID has one binding."),
    ]
