from odoo.tests import tagged

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestCustomFields(NetmeraMigrationCase):
    def setUp(self):
        super().setUp()
        self.run = self.make_run()

    def field_row(self, name, ttype="char", **extra):
        return plan_row(
            f"netmera_field_{name}", {"kind": "field", "name": name, "ttype": ttype, **extra}
        )

    def test_fields_are_created_and_ledgered(self):
        """Schema rows create manual fields of each type and ledger them."""
        rows = [
            self.field_row("x_netmera_tier", "selection", selection=[["gold", "Gold"], "silver"]),
            self.field_row("x_netmera_birthday", "date", field_description="Birthday"),
            self.field_row("x_netmera_score", "float"),
        ]

        result = self.run.import_batch("schema", 0, rows)

        self.assertEqual(result["created"], 3)
        self.assertEqual(result["errors"], [])
        fields = self.env["res.partner"]._fields
        self.assertEqual(fields["x_netmera_birthday"].type, "date")
        self.assertEqual(fields["x_netmera_birthday"].string, "Birthday")
        self.assertEqual(
            fields["x_netmera_tier"].selection, [("gold", "Gold"), ("silver", "silver")]
        )
        entries = self.Ledger.search(
            [("run_id", "=", self.run.id), ("model", "=", "ir.model.fields")]
        )
        self.assertEqual(len(entries), 3)
        partner = self.env["res.partner"].create({"name": "P", "x_netmera_score": 1.5})
        self.assertEqual(partner.x_netmera_score, 1.5)
        schema = self.run.get_reconciliation()["phases"][0]
        self.assertEqual(
            schema,
            {
                "name": "schema",
                "created": 3,
                "updated": 0,
                "unchanged": 0,
                "errors": 0,
                "in_odoo": 3,
            },
        )

    def test_bad_names_are_row_errors(self):
        """Names breaking Odoo's rules come back as errors on the name field."""
        rows = [
            self.field_row("netmera_points"),
            self.field_row("x_Netmera_Points"),
            self.field_row("x_" + "a" * 62),
            self.field_row("x_netmera_ok"),
            self.field_row("x_netmera_kind", "many2one"),
        ]

        result = self.run.import_batch("schema", 0, rows)

        self.assertEqual(result["created"], 1)
        self.assertEqual(
            [(e["index"], e["field"]) for e in result["errors"]],
            [(0, "name"), (1, "name"), (2, "name"), (4, "ttype")],
        )
        self.assertEqual(
            result["errors"][0]["message"], "Custom field name netmera_points must start with x_."
        )
        self.assertEqual(
            result["errors"][2]["message"],
            f"Custom field name x_{'a' * 62} is longer than 63 characters.",
        )

    def test_existing_field_is_kept_by_rollback(self):
        """Rollback removes only the fields its run created."""
        model = self.env["ir.model"]._get("res.partner")
        self.env["ir.model.fields"].create(
            {
                "model_id": model.id,
                "name": "x_netmera_before",
                "ttype": "char",
                "field_description": "Before",
                "state": "manual",
            }
        )
        rows = [
            self.field_row("x_netmera_before", field_description="Before"),
            self.field_row("x_netmera_new"),
        ]
        result = self.run.import_batch("schema", 0, rows)
        self.assertEqual(result["created"], 1)
        self.assertEqual(result["unchanged"], 1)
        self.run.action_done()

        self.run.rollback()

        names = (
            self.env["ir.model.fields"]
            .search([("model", "=", "res.partner"), ("name", "like", "x_netmera_")])
            .mapped("name")
        )
        self.assertEqual(names, ["x_netmera_before"])

    def test_type_clash_is_an_error(self):
        """A spec for an existing field with another type is an error on ttype."""
        self.run.import_batch("schema", 0, [self.field_row("x_netmera_clash", "char")])

        result = self.run.import_batch("schema", 1, [self.field_row("x_netmera_clash", "integer")])

        self.assertEqual(result["errors"][0]["field"], "ttype")

    def test_create_custom_fields_method(self):
        """create_custom_fields() creates fields from specs outside a batch."""
        result = self.run.create_custom_fields(
            [
                {"name": "x_netmera_level", "ttype": "integer", "field_description": "Level"},
                {"name": "bad"},
            ]
        )

        self.assertEqual(result["created"], 1)
        self.assertEqual(result["errors"][0]["index"], 1)
        self.assertIn("x_netmera_level", self.env["res.partner"]._fields)

    def test_unknown_language_is_an_error(self):
        """A language code Odoo does not know is an error on code."""
        result = self.run.import_batch("schema", 0, [{"values": {"kind": "lang", "code": "xx_YY"}}])

        self.assertEqual(result["errors"][0]["field"], "code")
