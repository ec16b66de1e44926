from odoo.tests import tagged

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestReconciliationCounts(NetmeraMigrationCase):
    def test_campaigns_count_rows_not_side_records(self):
        """A campaign whose medium the run creates counts as one created row, not three."""
        run = self.make_run()
        medium = "Netmera Test Medium 77"
        self.assertFalse(self.env["utm.medium"].search([("name", "=ilike", medium)]))

        result = run.import_batch(
            "campaigns",
            0,
            [
                plan_row(
                    "netmera_campaign_77",
                    {"kind": "campaign", "title": "Kış", "netmera_medium_id": {"utm_medium": medium}},
                ),
                plan_row(
                    "netmera_event_buy",
                    {"kind": "activity_type", "name": "Buy", "res_model": "res.partner"},
                ),
            ],
        )

        self.assertEqual(result["errors"], [])
        self.assertEqual(result["created"], 2)
        models = sorted(self.Ledger.search([("run_id", "=", run.id)]).mapped("model"))
        self.assertEqual(
            models, ["ir.model.data", "mail.activity.type", "utm.campaign", "utm.medium"]
        )
        phases = {phase["name"]: phase for phase in run.get_reconciliation()["phases"]}
        self.assertEqual(phases["campaigns"]["created"], 2)
        self.assertEqual(phases["campaigns"]["updated"], 0)
