import json

from odoo.tests import tagged

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestLinkRemoval(NetmeraMigrationCase):
    def contact_row(self, tags):
        xml_ids = [f"netmera_tag_{tag}" for tag in tags]
        return plan_row("netmera_user_ece", {"name": "Ece", "category_id": {"xml_ids": xml_ids}})

    def test_update_unlinks_tags_the_user_left(self):
        """A re-sync unlinks a migrated tag the row no longer has, keeps a person's tag, and
        rollback links it again."""
        first = self.make_run("First")
        self.import_tags(first, ["vip", "beta"])
        first.import_batch("contacts", 0, [self.contact_row(["vip", "beta"])])
        first.action_done()
        ece = self.xml_record("netmera_user_ece")
        manual = self.env["res.partner.category"].create({"name": "Called by sales"})
        ece.category_id = [(4, manual.id)]
        vip = self.xml_record("netmera_tag_vip")
        beta = self.xml_record("netmera_tag_beta")
        self.assertEqual(ece.category_id, vip | beta | manual)

        second = self.make_run("Second")
        self.import_tags(second, ["vip", "beta"])
        result = second.import_batch("contacts", 0, [self.contact_row(["vip"])])

        self.assertEqual(result["errors"], [])
        self.assertEqual(result["updated"], 1)
        self.assertEqual(ece.category_id, vip | manual)
        line = self.Ledger.search([("run_id", "=", second.id), ("xml_id", "=", "netmera_user_ece")])
        self.assertEqual(json.loads(line.links_removed), {"category_id": [beta.id]})
        self.assertEqual(json.loads(line.links_added), {})

        second.action_done()
        second.rollback()
        self.assertEqual(ece.category_id, vip | beta | manual)
