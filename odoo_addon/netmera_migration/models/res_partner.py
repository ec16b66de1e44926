from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    netmera_external_id = fields.Char(
        string="Netmera External ID",
        index=True,
        copy=False,
        help="Netmera extId of the user, kept exactly as Netmera stores it (case-sensitive).",
    )
    netmera_os = fields.Char(string="Netmera OS")
    netmera_app_version = fields.Char(string="Netmera App Version")
    netmera_device_model = fields.Char(string="Netmera Device Model")
    netmera_segment_stage_id = fields.Many2one(
        "netmera.segment.stage",
        string="Netmera Segment Stage",
        index="btree_not_null",
        ondelete="set null",
    )
    netmera_needs_enrichment = fields.Boolean(
        string="Needs Enrichment",
        copy=False,
        help="Imported from an anonymous Netmera installation without extId: the name is a "
        "placeholder and the contact needs identifying data.",
    )
    netmera_untagged = fields.Boolean(
        string="Untagged in Netmera",
        copy=False,
        help="The Netmera user belonged to no tag or segment.",
    )
