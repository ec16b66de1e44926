import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestImportBatch(NetmeraMigrationCase):
    def setUp(self):
        super().setUp()
        self.run = self.make_run()
        self.import_tags(self.run, ["vip", "churn"])
        self.rows = [
            plan_row(
                "netmera_user_ayse_1",
                {
                    "name": "Ayşe Yılmaz",
                    "email": "ayse@example.com.tr",
                    "netmera_external_id": "Ayse.1",
                    "category_id": {"xml_ids": ["netmera_tag_vip"]},
                    "country_id": {"code": "tr"},
                },
            ),
            plan_row(
                "netmera_user_mehmet_2",
                {
                    "name": "Mehmet Kaya",
                    "category_id": {"xml_ids": ["netmera_tag_vip", "netmera_tag_churn"]},
                },
            ),
        ]

    def test_upsert_creates_records_and_xml_ids(self):
        """A batch creates the partners, their external IDs, tags and ledger lines."""
        result = self.run.import_batch("contacts", 0, self.rows)

        self.assertEqual(result["created"], 2)
        self.assertEqual(result["updated"], 0)
        self.assertEqual(result["unchanged"], 0)
        self.assertEqual(result["errors"], [])
        self.assertFalse(result["replayed"])
        ayse = self.xml_record("netmera_user_ayse_1")
        self.assertEqual(ayse.name, "Ayşe Yılmaz")
        self.assertEqual(ayse.netmera_external_id, "Ayse.1")
        self.assertEqual(ayse.country_id, self.env.ref("base.tr"))
        self.assertEqual(ayse.category_id, self.xml_record("netmera_tag_vip"))
        mehmet = self.xml_record("netmera_user_mehmet_2")
        self.assertEqual(len(mehmet.category_id), 2)
        ledger = self.Ledger.search([("run_id", "=", self.run.id), ("phase", "=", "contacts")])
        self.assertEqual(len(ledger), 2)
        self.assertEqual(set(ledger.mapped("operation")), {"create"})
        self.assertEqual(set(ledger.mapped("res_id")), {ayse.id, mehmet.id})
        self.assertEqual(
            ledger.filtered(lambda e: e.res_id == ayse.id).content_hash, self.rows[0]["hash"]
        )

    def test_replay_returns_stored_result(self):
        """Replaying a committed batch number writes nothing and returns its result."""
        first = self.run.import_batch("contacts", 3, self.rows)
        partner_count = self.Partner.search_count([])
        ledger_count = self.Ledger.search_count([])

        changed = [plan_row("netmera_user_other_9", {"name": "Other"})]
        replay = self.run.import_batch("contacts", 3, changed)

        self.assertTrue(replay["replayed"])
        self.assertEqual(replay["created"], first["created"])
        self.assertEqual(replay["batch_no"], 3)
        self.assertEqual(self.Partner.search_count([]), partner_count)
        self.assertEqual(self.Ledger.search_count([]), ledger_count)
        self.assertFalse(self.xml_record("netmera_user_other_9"))
        self.assertEqual(self.run.get_committed_batches("contacts"), [3])

    def test_same_hash_is_skipped(self):
        """Rows whose hash is bound already are unchanged and leave no ledger line."""
        self.run.import_batch("contacts", 0, self.rows)
        ayse = self.xml_record("netmera_user_ayse_1")
        write_date = ayse.write_date
        ledger_count = self.Ledger.search_count([])

        result = self.run.import_batch("contacts", 1, self.rows)

        self.assertEqual(result["unchanged"], 2)
        self.assertEqual(result["created"], 0)
        self.assertEqual(result["updated"], 0)
        self.assertEqual(self.Ledger.search_count([]), ledger_count)
        self.assertEqual(ayse.write_date, write_date)

    def test_changed_row_updates_and_ledgers_previous_values(self):
        """A changed row writes only the changed fields and ledgers their previous values."""
        self.run.import_batch("contacts", 0, self.rows)
        ayse = self.xml_record("netmera_user_ayse_1")
        values = dict(self.rows[0]["values"], email="ayse@new.example", netmera_os="iOS 17")
        values["category_id"] = {"xml_ids": ["netmera_tag_vip", "netmera_tag_churn"]}

        result = self.run.import_batch("contacts", 1, [plan_row("netmera_user_ayse_1", values)])

        self.assertEqual(result["updated"], 1)
        self.assertEqual(ayse.email, "ayse@new.example")
        self.assertEqual(ayse.netmera_os, "iOS 17")
        entry = self.Ledger.search(
            [("run_id", "=", self.run.id), ("operation", "=", "update"), ("res_id", "=", ayse.id)]
        )
        self.assertEqual(len(entry), 1)
        self.assertEqual(
            json.loads(entry.previous_values),
            {"email": "ayse@example.com.tr", "netmera_os": False},
        )
        churn = self.xml_record("netmera_tag_churn")
        self.assertEqual(json.loads(entry.links_added), {"category_id": [churn.id]})
        self.assertEqual(entry.batch_no, 1)

    def test_equal_values_with_new_hash_are_unchanged(self):
        """A row with a new hash but the same values writes nothing and stores the new hash."""
        self.run.import_batch("contacts", 0, self.rows[:1])
        row = dict(self.rows[0], hash="f" * 32)

        result = self.run.import_batch("contacts", 1, [row])

        self.assertEqual(result["unchanged"], 1)
        self.assertEqual(result["updated"], 0)
        binding = self.env["netmera.migration.binding"].search(
            [("xml_id", "=", "netmera_user_ayse_1")]
        )
        self.assertEqual(binding.content_hash, "f" * 32)

    def test_existing_xml_id_of_csv_import_is_updated(self):
        """A record with an __import__ external ID but no binding is updated, not duplicated."""
        partner = self.Partner.create({"name": "From CSV"})
        self.env["ir.model.data"].create(
            {
                "module": "__import__",
                "name": "netmera_user_csv_7",
                "model": "res.partner",
                "res_id": partner.id,
            }
        )

        result = self.run.import_batch(
            "contacts", 0, [plan_row("netmera_user_csv_7", {"name": "From Netmera"})]
        )

        self.assertEqual(result["updated"], 1)
        self.assertEqual(partner.name, "From Netmera")

    def test_companies_phase_creates_companies(self):
        """The companies phase creates company partners that contacts link to."""
        self.run.import_batch(
            "companies",
            0,
            [plan_row("netmera_company_acme", {"name": "Acme", "website": "acme.example"})],
        )
        rows = [
            plan_row(
                "netmera_user_x", {"name": "X", "parent_id": {"xml_id": "netmera_company_acme"}}
            )
        ]

        self.run.import_batch("contacts", 0, rows)

        acme = self.xml_record("netmera_company_acme")
        self.assertTrue(acme.is_company)
        self.assertEqual(self.xml_record("netmera_user_x").parent_id, acme)

    def test_stages_and_segment_stage_link(self):
        """Stages import into netmera.segment.stage and contacts link to them."""
        self.run.import_batch(
            "stages",
            0,
            [
                plan_row(
                    "netmera_stage_hot",
                    {"name": "Hot", "segment_key": "seg-1", "rule_text": "age > 30"},
                )
            ],
        )
        self.run.import_batch(
            "contacts",
            0,
            [
                plan_row(
                    "netmera_user_s",
                    {"name": "S", "netmera_segment_stage_id": {"xml_id": "netmera_stage_hot"}},
                )
            ],
        )

        stage = self.xml_record("netmera_stage_hot")
        self.assertEqual(stage.rule_text, "age > 30")
        self.assertEqual(self.xml_record("netmera_user_s").netmera_segment_stage_id, stage)

    def test_phase_counters_and_reconciliation(self):
        """Phase lines and get_reconciliation read the counts back from Odoo."""
        self.run.import_batch("contacts", 0, self.rows)
        self.run.import_batch("contacts", 1, self.rows)

        line = self.run.phase_ids.filtered(lambda line: line.phase == "contacts")
        self.assertEqual(line.read_count, 4)
        self.assertEqual(line.created_count, 2)
        self.assertEqual(line.unchanged_count, 2)
        self.assertEqual(line.batch_count, 2)
        recon = {phase["name"]: phase for phase in self.run.get_reconciliation()["phases"]}
        self.assertEqual(
            recon["contacts"],
            {
                "name": "contacts",
                "created": 2,
                "updated": 0,
                "unchanged": 2,
                "errors": 0,
                "in_odoo": 2,
            },
        )
        self.assertEqual(recon["tags"]["in_odoo"], 2)

    def test_progress_is_stored(self):
        """report_progress stores the bridge's phase and counters."""
        self.run.report_progress("contacts", 500, 2000)

        self.assertEqual(self.run.progress_phase, "contacts")
        self.assertEqual(self.run.progress_done, 500)
        self.assertEqual(self.run.progress_total, 2000)
        self.assertEqual(self.run.progress_percent, 25.0)


@tagged("post_install", "-at_install")
class TestChildContactAddress(NetmeraMigrationCase):
    """A contact linked to a company keeps the address of its plan row against Odoo's sync."""

    def setUp(self):
        super().setUp()
        self.run = self.make_run()
        self.tr = self.env.ref("base.tr")
        self.de = self.env.ref("base.de")
        self.koln = {
            "name": "Rhein Logistik GmbH",
            "street": "Hafenstraße 1",
            "zip": "50667",
            "city": "Köln",
            "country_id": {"code": "DE"},
        }
        self.run.import_batch("companies", 0, [plan_row("netmera_company_rhein", self.koln)])
        self.company = self.xml_record("netmera_company_rhein")
        self.istanbul = {
            "name": "Oğuz Kaya",
            "city": "İstanbul",
            "country_id": {"code": "TR"},
            "parent_id": {"xml_id": "netmera_company_rhein"},
        }

    def address(self, partner):
        return (
            partner.street,
            partner.street2,
            partner.zip,
            partner.city,
            partner.state_id,
            partner.country_id,
        )

    def assert_own_address(self, partner, city="İstanbul"):
        self.assertEqual(partner.parent_id, self.company)
        self.assertEqual(partner.type, "contact")
        no_state = self.env["res.country.state"]
        self.assertEqual(self.address(partner), (False, False, False, city, no_state, self.tr))

    def test_create_keeps_the_rows_address(self):
        """A new child contact keeps its own city and country, not the company's street."""
        rows = [
            plan_row("netmera_user_oguz", self.istanbul),
            plan_row(
                "netmera_user_lena",
                {"name": "Lena", "parent_id": {"xml_id": "netmera_company_rhein"}},
            ),
        ]

        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual((result["created"], result["errors"]), (2, []))
        self.assert_own_address(self.xml_record("netmera_user_oguz"))
        # Without address fields in its row, a contact takes the company's address.
        lena = self.xml_record("netmera_user_lena")
        self.assertEqual(
            self.address(lena),
            ("Hafenstraße 1", False, "50667", "Köln", self.env["res.country.state"], self.de),
        )
        self.assertEqual(self.company.city, "Köln")

    @mute_logger("odoo.sql_db")
    def test_create_bisection_keeps_the_rows_address(self):
        """Rows created one by one after a rejected row keep their own address too."""
        rows = [
            plan_row("netmera_user_oguz", self.istanbul),
            plan_row("netmera_user_nameless", {"name": False, "city": "Ankara"}),
            plan_row("netmera_user_ece", dict(self.istanbul, name="Ece", city="Bursa")),
        ]

        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual(result["created"], 2)
        self.assertEqual([error["index"] for error in result["errors"]], [1])
        self.assert_own_address(self.xml_record("netmera_user_oguz"))
        self.assert_own_address(self.xml_record("netmera_user_ece"), city="Bursa")

    def test_update_that_sets_the_parent_keeps_the_rows_address(self):
        """Linking an existing contact to a company, with a new city, keeps the row's address."""
        alone = {key: value for key, value in self.istanbul.items() if key != "parent_id"}
        self.run.import_batch("contacts", 0, [plan_row("netmera_user_oguz", alone)])
        oguz = self.xml_record("netmera_user_oguz")
        self.assertFalse(oguz.parent_id)

        result = self.run.import_batch(
            "contacts", 1, [plan_row("netmera_user_oguz", dict(self.istanbul, city="İzmir"))]
        )

        self.assertEqual((result["updated"], result["errors"]), (1, []))
        self.assert_own_address(oguz, city="İzmir")
        entry = self.Ledger.search([("run_id", "=", self.run.id), ("batch_no", "=", 1)])
        self.assertEqual(
            json.loads(entry.previous_values), {"city": "İstanbul", "parent_id": False}
        )

    def test_one_by_one_retry_keeps_the_rows_address(self):
        """When a grouped write fails, each retried row still keeps its own address."""
        self.run.import_batch(
            "contacts",
            0,
            [
                plan_row(
                    "netmera_user_oguz",
                    {key: value for key, value in self.koln.items() if key != "name"}
                    | {"name": "Oğuz Kaya"},
                )
            ],
        )
        link = {"parent_id": {"xml_id": "netmera_company_rhein"}}
        own = {"city": "İstanbul", "country_id": {"code": "TR"}}
        rows = [
            plan_row("netmera_user_oguz", {"name": "Oğuz Kaya", **link, **own}),
            # The same write values, but a company cannot be its own parent.
            plan_row("netmera_company_rhein", {"name": self.koln["name"], **link, **own}),
        ]

        result = self.run.import_batch("contacts", 1, rows)

        self.assertEqual(result["updated"], 1)
        self.assertEqual(
            [error["xml_id"] for error in result["errors"]], ["netmera_company_rhein"]
        )
        self.assert_own_address(self.xml_record("netmera_user_oguz"))
        self.assertEqual(self.company.city, "Köln")

    def test_rerun_repairs_an_address_the_parent_sync_replaced(self):
        """Same hash, but Odoo copied the company's new city over: the re-run writes it back."""
        rows = [plan_row("netmera_user_oguz", self.istanbul)]
        self.run.import_batch("contacts", 0, rows)
        oguz = self.xml_record("netmera_user_oguz")
        # A new company city reaches its child contacts through Odoo's sync.
        self.run.import_batch(
            "companies", 1, [plan_row("netmera_company_rhein", dict(self.koln, city="Bonn"))]
        )
        self.assertEqual(oguz.city, "Bonn")

        result = self.run.import_batch("contacts", 2, rows)

        self.assertEqual((result["updated"], result["unchanged"]), (1, 0))
        self.assert_own_address(oguz)
        entry = self.Ledger.search([("run_id", "=", self.run.id), ("batch_no", "=", 2)])
        self.assertEqual(json.loads(entry.previous_values), {"city": "Bonn"})
        self.assertEqual(entry.previous_hash, rows[0]["hash"])

        # Nothing left to repair: the next re-run is unchanged.
        self.assertEqual(self.run.import_batch("contacts", 3, rows)["unchanged"], 1)

    def test_rerun_leaves_an_address_a_person_changed(self):
        """A city that a person set, other than the company's, stays on a re-run."""
        rows = [plan_row("netmera_user_oguz", self.istanbul)]
        self.run.import_batch("contacts", 0, rows)
        oguz = self.xml_record("netmera_user_oguz")
        oguz.write({"city": "Ankara", "phone": "+90 312 000 00 00"})

        result = self.run.import_batch("contacts", 1, rows)

        self.assertEqual((result["updated"], result["unchanged"]), (0, 1))
        self.assertEqual((oguz.city, oguz.phone), ("Ankara", "+90 312 000 00 00"))
