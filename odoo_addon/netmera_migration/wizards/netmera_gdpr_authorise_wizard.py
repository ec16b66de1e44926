from odoo import fields, models


class NetmeraGdprAuthoriseWizard(models.TransientModel):
    _name = "netmera.gdpr.authorise.wizard"
    _description = "Confirm GDPR Authorisation of a Netmera Migration Run"

    run_id = fields.Many2one("netmera.migration.run", required=True, ondelete="cascade")
    agreement_ref = fields.Char(
        string="Data Processing Agreement",
        required=True,
        help="Reference of the signed data processing agreement, for example DPA-2024-017.",
    )

    def action_confirm(self):
        self.ensure_one()
        self.run_id.action_confirm_gdpr(self.agreement_ref)
        return {"type": "ir.actions.act_window_close"}
