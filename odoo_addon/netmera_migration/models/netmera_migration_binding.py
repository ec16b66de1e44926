from odoo import fields, models

from .constants import PHASE_SELECTION


class NetmeraMigrationBinding(models.Model):
    """Last content hash written for an external ID, shared by all runs.

    A plan row whose hash equals the bound one is skipped without reading the record, so
    re-running a snapshot writes nothing. A changed row writes only the fields whose planned
    value differs from ``field_hashes`` (see ``import_field_state``).
    """

    _name = "netmera.migration.binding"
    _description = "Netmera Migration External ID Binding"
    _rec_name = "xml_id"

    xml_id = fields.Char(string="External ID", required=True, help="Name without the module.")
    model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    phase = fields.Selection(PHASE_SELECTION, required=True)
    content_hash = fields.Char(required=True)
    field_hashes = fields.Text(
        help="JSON object: per field of the last row written, a short hash of its value, or "
        "for tags the external IDs the migration linked. Empty on bindings of older versions."
    )

    _sql_constraints = [
        ("xml_id_unique", "UNIQUE(xml_id)", "An external ID has one binding."),
    ]
