from odoo import _, api, fields, models
from odoo.exceptions import UserError


class NetmeraOwnerQueue(models.Model):
    """A Netmera panel user of a run and the Odoo user who owns their contacts.

    A decision made on one run (a matched user, or ignored) carries over to the lines of later
    runs for the same email; ``carried_from_id`` names the line it came from.
    """

    _name = "netmera.owner.queue"
    _description = "Netmera Owner Reconciliation Queue"
    _order = "state desc, email"
    _rec_name = "email"

    run_id = fields.Many2one("netmera.migration.run", required=True, ondelete="cascade", index=True)
    email = fields.Char(required=True)
    name = fields.Char()
    xml_id = fields.Char(string="External ID")
    state = fields.Selection(
        [("pending", "Pending"), ("matched", "Matched"), ("ignored", "Ignored")],
        default="pending",
        required=True,
    )
    matched_user_id = fields.Many2one(
        "res.users", string="Odoo User", domain=[("share", "=", False)], ondelete="set null"
    )
    carried_from_id = fields.Many2one(
        "netmera.owner.queue",
        string="Carried Over From",
        readonly=True,
        ondelete="set null",
        help="The line of an earlier run whose decision this run took over; empty when the "
        "decision was made on this run. Changing the decision here clears it.",
    )
    carried_from_run_id = fields.Many2one(
        related="carried_from_id.run_id", string="Decided in Run"
    )

    _sql_constraints = [
        ("run_email_unique", "UNIQUE(run_id, email)", "An owner is queued once per run."),
    ]

    @api.onchange("matched_user_id")
    def _onchange_matched_user_id(self):
        if self.matched_user_id:
            self.state = "matched"

    def write(self, vals):
        if vals.get("matched_user_id") and "state" not in vals:
            vals = dict(vals, state="matched")
        if ("state" in vals or "matched_user_id" in vals) and not self.env.context.get(
            "netmera_carry_over"
        ):
            # A person decided on this run; the line no longer follows the earlier one.
            vals = dict(vals, carried_from_id=False)
        return super().write(vals)

    def action_match(self):
        for entry in self:
            if not entry.matched_user_id:
                raise UserError(
                    _("Choose the Odoo user for owner %(email)s first.", email=entry.email)
                )
            entry.state = "matched"
        return True

    def action_ignore(self):
        """Import the owner's contacts without a salesperson."""
        self.write({"state": "ignored", "matched_user_id": False})
        return True

    def action_reset(self):
        self.write({"state": "pending", "matched_user_id": False})
        return True
