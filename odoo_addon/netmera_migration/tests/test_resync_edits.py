import json

from odoo.tests import tagged

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestResyncEdits(NetmeraMigrationCase):
    """A re-sync writes only what changed in the plan since the migration last wrote it."""

    def contact_row(self, phone, tags=None, **extra):
        values = {
            "name": "Ece Kaya",
            "email": "ece@netmera.example",
            "city": "Izmir",
            "phone": phone,
            **extra,
        }
        if tags is not None:
            values["category_id"] = {"xml_ids": [f"netmera_tag_{tag}" for tag in tags]}
        return plan_row("netmera_user_ece", values)

    def migrate(self, name, row, tags=()):
        run = self.make_run(name)
        if tags:
            self.import_tags(run, list(tags))
        result = run.import_batch("contacts", 0, [row])
        self.assertEqual(result["errors"], [])
        return run, result

    def binding(self):
        return self.env["netmera.migration.binding"].search([("xml_id", "=", "netmera_user_ece")])

    def ledger_line(self, run):
        return self.Ledger.search([("run_id", "=", run.id), ("xml_id", "=", "netmera_user_ece")])

    def test_update_keeps_edited_fields(self):
        first, _result = self.migrate("First", self.contact_row("+90 500 000 0001"))
        first.action_done()
        ece = self.xml_record("netmera_user_ece")
        ece.write({"city": "Ankara", "email": "ece.kaya@customer.example"})
        state_before = self.binding().field_hashes
        self.assertEqual(sorted(json.loads(state_before)), ["city", "email", "name", "phone"])

        second, result = self.migrate("Second", self.contact_row("+90 500 000 0002"))

        self.assertEqual(result["updated"], 1)
        self.assertEqual(ece.phone, "+90 500 000 0002")
        self.assertEqual(ece.city, "Ankara")
        self.assertEqual(ece.email, "ece.kaya@customer.example")
        self.assertEqual(
            json.loads(self.ledger_line(second).previous_values), {"phone": "+90 500 000 0001"}
        )
        self.assertNotEqual(self.binding().field_hashes, state_before)

        second.action_done()
        second.rollback()
        self.assertEqual(ece.phone, "+90 500 000 0001")
        self.assertEqual(ece.city, "Ankara")
        self.assertEqual(ece.email, "ece.kaya@customer.example")
        self.assertEqual(self.binding().field_hashes, state_before)

    def test_changed_field_overrides_edit(self):
        first, _result = self.migrate("First", self.contact_row("+90 500 000 0001"))
        first.action_done()
        ece = self.xml_record("netmera_user_ece")
        ece.write({"city": "Ankara", "phone": "+90 555 111 2233"})

        second, result = self.migrate("Second", self.contact_row("+90 500 000 0002"))

        self.assertEqual(result["updated"], 1)
        self.assertEqual(ece.phone, "+90 500 000 0002")
        self.assertEqual(ece.city, "Ankara")
        self.assertEqual(
            json.loads(self.ledger_line(second).previous_values), {"phone": "+90 555 111 2233"}
        )

    def test_person_tag_link_survives(self):
        tags = ("vip", "beta", "gold", "new")
        first, _result = self.migrate("First", self.contact_row("1", ["vip", "beta"]), tags)
        first.action_done()
        ece = self.xml_record("netmera_user_ece")
        vip, beta, gold, new = (self.xml_record(f"netmera_tag_{tag}") for tag in tags)
        manual = self.env["res.partner.category"].create({"name": "Called by sales"})
        ece.category_id = [(4, gold.id), (4, manual.id)]
        self.assertEqual(ece.category_id, vip | beta | gold | manual)
        self.assertEqual(
            json.loads(self.binding().field_hashes)["category_id"],
            ["netmera_tag_beta", "netmera_tag_vip"],
        )

        second, result = self.migrate("Second", self.contact_row("1", ["vip", "new"]), tags)

        self.assertEqual(result["updated"], 1)
        self.assertEqual(ece.category_id, vip | new | gold | manual)
        line = self.ledger_line(second)
        self.assertEqual(json.loads(line.links_added), {"category_id": [new.id]})
        self.assertEqual(json.loads(line.links_removed), {"category_id": [beta.id]})
        self.assertEqual(json.loads(line.previous_values), {})

        second.action_done()
        second.rollback()
        self.assertEqual(ece.category_id, vip | beta | gold | manual)

    def test_person_tag_removal_stays(self):
        tags = ("vip", "beta")
        first, _result = self.migrate("First", self.contact_row("1", ["vip", "beta"]), tags)
        first.action_done()
        ece = self.xml_record("netmera_user_ece")
        vip = self.xml_record("netmera_tag_vip")
        ece.category_id = [(3, self.xml_record("netmera_tag_beta").id)]

        _second, result = self.migrate("Second", self.contact_row("2", ["vip", "beta"]), tags)

        self.assertEqual(result["updated"], 1)
        self.assertEqual(ece.category_id, vip)
        self.assertEqual(ece.phone, "2")

    def test_old_binding_written_once(self):
        first, _result = self.migrate("First", self.contact_row("1"))
        first.action_done()
        ece = self.xml_record("netmera_user_ece")
        # A binding written by an older version of the addon has no field state.
        self.env.cr.execute(
            "UPDATE netmera_migration_binding SET field_hashes = NULL WHERE xml_id = %s",
            ("netmera_user_ece",),
        )
        self.env["netmera.migration.binding"].invalidate_model()
        ece.write({"city": "Ankara"})

        second, result = self.migrate("Second", self.contact_row("2"))
        second.action_done()

        self.assertEqual(result["updated"], 1)
        self.assertEqual((ece.city, ece.phone), ("Izmir", "2"))
        self.assertEqual(
            json.loads(self.ledger_line(second).previous_values), {"city": "Ankara", "phone": "1"}
        )
        self.assertTrue(self.binding().field_hashes)

        ece.write({"city": "Ankara"})
        _third, result = self.migrate("Third", self.contact_row("3"))

        self.assertEqual(result["updated"], 1)
        self.assertEqual((ece.city, ece.phone), ("Ankara", "3"))

    def test_unchanged_row_keeps_state(self):
        first, _result = self.migrate("First", self.contact_row("1"))
        first.action_done()
        state = self.binding().field_hashes

        _second, result = self.migrate("Second", self.contact_row("1"))

        self.assertEqual((result["updated"], result["unchanged"]), (0, 1))
        self.assertEqual(self.binding().field_hashes, state)

    def test_merged_contact_keeps_values(self):
        first, _result = self.migrate("First", self.contact_row("1"))
        first.action_done()
        ece = self.xml_record("netmera_user_ece")
        crm = self.Partner.create({"name": "Ece Kaya (CRM)", "email": "ece@crm.example"})
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        wizard._merge((ece | crm).ids, crm)
        self.assertFalse(ece.exists())
        self.assertEqual(self.xml_record("netmera_user_ece"), crm)

        second, result = self.migrate("Second", self.contact_row("1"))
        second.action_done()

        self.assertEqual((result["updated"], result["unchanged"]), (0, 1))
        self.assertEqual((crm.name, crm.email), ("Ece Kaya (CRM)", "ece@crm.example"))

        _third, result = self.migrate("Third", self.contact_row("2"))

        self.assertEqual(result["updated"], 1)
        self.assertEqual(
            (crm.name, crm.email, crm.phone), ("Ece Kaya (CRM)", "ece@crm.example", "2")
        )
        self.assertEqual(self.binding().res_id, crm.id)
