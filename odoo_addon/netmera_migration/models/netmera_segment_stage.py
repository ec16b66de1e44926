from odoo import fields, models


class NetmeraSegmentStage(models.Model):
    _name = "netmera.segment.stage"
    _description = "Netmera Segment Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    segment_key = fields.Char(
        index=True,
        help="Netmera segment ID or name this stage was built from.",
    )
    rule_text = fields.Text(
        help="Segment rule as frozen at pull time; Netmera evaluates it, Odoo only keeps the text.",
    )
    active = fields.Boolean(default=True)
    partner_count = fields.Integer(compute="_compute_partner_count")

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                [("netmera_segment_stage_id", "in", self.ids)],
                ["netmera_segment_stage_id"],
                ["__count"],
            )
        )
        for stage in self:
            stage.partner_count = counts.get(stage, 0)
