from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    netmera_bridge_url = fields.Char(
        string="Bridge URL",
        config_parameter="netmera_migration.bridge_url",
        help="Base URL of the netmera-odoo bridge API, for example http://bridge:8080.",
    )
    netmera_bridge_token = fields.Char(
        string="Bridge Token",
        config_parameter="netmera_migration.bridge_token",
        help="Bearer token the addon sends to the bridge API.",
    )
    netmera_lease_seconds = fields.Integer(
        string="Run Lease (seconds)",
        config_parameter="netmera_migration.lease_seconds",
        default=120,
        help="A running run whose bridge sent no heartbeat for this long counts as "
        "interrupted: it may be rolled back, and migrate resumes it.",
    )
