import xmlrpc.client

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestPartialBatch(NetmeraMigrationCase):
    def setUp(self):
        super().setUp()
        self.run = self.make_run()
        self.import_tags(self.run, ["vip"])

    def good_rows(self, count, prefix="good"):
        return [
            plan_row(f"netmera_user_{prefix}_{index}", {"name": f"Good {index}"})
            for index in range(count)
        ]

    def test_bad_values_come_back_as_errors(self):
        """Rows with bad values fail alone; the good rows of the batch commit."""
        rows = self.good_rows(3)
        rows.insert(
            1,
            plan_row(
                "netmera_user_bad_tag",
                {"name": "B", "category_id": {"xml_ids": ["netmera_tag_nope"]}},
            ),
        )
        rows.insert(3, plan_row("netmera_user_bad_type", {"name": "C", "netmera_os": 17}))
        rows.append(plan_row("netmera_user_bad_field", {"name": "D", "x_unknown": "1"}))
        rows.append({"xml_id": "netmera_user_no_values"})

        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual(result["created"], 3)
        self.assertEqual(
            result["errors"],
            [
                {
                    "index": 1,
                    "xml_id": "netmera_user_bad_tag",
                    "field": "category_id",
                    "message": "No res.partner.category record with external ID netmera_tag_nope.",
                },
                {
                    "index": 3,
                    "xml_id": "netmera_user_bad_type",
                    "field": "netmera_os",
                    "message": "netmera_os expects text, got int 17.",
                },
                {
                    "index": 5,
                    "xml_id": "netmera_user_bad_field",
                    "field": "x_unknown",
                    "message": "Field x_unknown does not exist on res.partner.",
                },
                {
                    "index": 6,
                    "xml_id": "netmera_user_no_values",
                    "field": False,
                    "message": "Row has no values object.",
                },
            ],
        )
        # Odoo marshals XML-RPC responses with allow_none=False, so None must not appear.
        self.assertTrue(xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False))
        for index in range(3):
            self.assertTrue(self.xml_record(f"netmera_user_good_{index}"))
        self.assertFalse(self.xml_record("netmera_user_bad_tag"))
        self.assertEqual(
            self.Ledger.search_count([("run_id", "=", self.run.id), ("phase", "=", "contacts")]), 3
        )

    @mute_logger("odoo.sql_db")
    def test_database_error_isolates_the_row(self):
        """A row the database rejects is found by bisection; the other rows commit."""
        rows = self.good_rows(6)
        # res_partner_check_name: a contact needs a name.
        rows.insert(4, plan_row("netmera_user_nameless", {"name": False, "email": "x@example.com"}))

        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual(result["created"], 6)
        self.assertEqual(len(result["errors"]), 1)
        error = result["errors"][0]
        self.assertEqual(error["index"], 4)
        self.assertEqual(error["xml_id"], "netmera_user_nameless")
        self.assertIn("res_partner_check_name", error["message"])
        self.assertFalse(self.xml_record("netmera_user_nameless"))
        self.assertEqual(self.Partner.search_count([("name", "=like", "Good %")]), 6)

    def test_unknown_owner_is_a_field_error(self):
        """An owner email without a matched user fails the row on user_id, not the batch."""
        rows = [
            plan_row(
                "netmera_user_owned",
                {"name": "Owned", "user_id": {"owner_email": "ghost@example.com"}},
            ),
            plan_row("netmera_user_free", {"name": "Free"}),
        ]

        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual(result["created"], 1)
        self.assertEqual(
            result["errors"],
            [
                {
                    "index": 0,
                    "xml_id": "netmera_user_owned",
                    "field": "user_id",
                    "message": "Owner ghost@example.com is not matched to an active Odoo user; "
                    "match or ignore it in the owner queue.",
                }
            ],
        )

    def test_duplicate_xml_id_in_batch(self):
        """The second row with an external ID already in the batch is an error."""
        rows = [
            plan_row("netmera_user_twice", {"name": "One"}),
            plan_row("netmera_user_twice", {"name": "Two"}),
        ]

        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual(result["created"], 1)
        self.assertEqual(result["errors"][0]["index"], 1)
        self.assertEqual(result["errors"][0]["field"], "id")
        self.assertEqual(self.xml_record("netmera_user_twice").name, "One")

    def test_database_ids_are_rejected(self):
        """A relation given as a database id is a row error: plan rows carry external IDs."""
        result = self.run.import_batch(
            "contacts", 0, [plan_row("netmera_user_dbid", {"name": "N", "parent_id": 1})]
        )

        self.assertEqual(result["created"], 0)
        self.assertEqual(result["errors"][0]["field"], "parent_id")

    def test_import_needs_running_state(self):
        """A batch for a run that is not running raises UserError."""
        run = self.make_run(name="Draft", state="authorised")

        with self.assertRaisesRegex(Exception, "batches import only while it is running"):
            run.import_batch("contacts", 0, self.good_rows(1))

    def test_failed_group_write_retries_rows(self):
        """A grouped write that fails is retried row by row; only the bad row errs."""
        self.run.import_batch("companies", 0, [plan_row("netmera_company_c", {"name": "C"})])
        self.run.import_batch("contacts", 0, [plan_row("netmera_user_p", {"name": "P"})])
        link = {"parent_id": {"xml_id": "netmera_company_c"}}
        rows = [
            plan_row("netmera_user_p", dict(link, name="P")),
            # A company cannot be its own parent: Odoo rejects the recursive hierarchy.
            plan_row("netmera_company_c", dict(link, name="C")),
        ]

        result = self.run.import_batch("contacts", 1, rows)

        company = self.xml_record("netmera_company_c")
        self.assertEqual(result["updated"], 1)
        self.assertEqual(len(result["errors"]), 1)
        self.assertEqual(result["errors"][0]["index"], 1)
        self.assertEqual(result["errors"][0]["xml_id"], "netmera_company_c")
        self.assertEqual(self.xml_record("netmera_user_p").parent_id, company)
        self.assertFalse(company.parent_id)
        ledger = self.Ledger.search([("run_id", "=", self.run.id), ("batch_no", "=", 1)])
        self.assertEqual(ledger.mapped("xml_id"), ["netmera_user_p"])
