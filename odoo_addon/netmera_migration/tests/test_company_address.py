from odoo.tests import tagged

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestCompanyAddress(NetmeraMigrationCase):
    """A company without an address stays without one when its contacts have addresses."""

    def setUp(self):
        super().setUp()
        self.run = self.make_run()
        self.tr = self.env.ref("base.tr")
        self.run.import_batch(
            "companies", 0, [plan_row("netmera_company_bare", {"name": "Bare Ltd"})]
        )
        self.company = self.xml_record("netmera_company_bare")

    def address(self, partner):
        return (partner.street, partner.zip, partner.city, partner.country_id)

    def test_first_of_two_contacts(self):
        """Two contacts created in one batch keep their addresses; the company keeps none."""
        rows = [
            plan_row(
                "netmera_user_oguz",
                {
                    "name": "Oğuz Kaya",
                    "street": "İstiklal Cad. 5",
                    "city": "İstanbul",
                    "country_id": {"code": "TR"},
                    "parent_id": {"xml_id": "netmera_company_bare"},
                },
            ),
            plan_row(
                "netmera_user_ece",
                {
                    "name": "Ece Demir",
                    "city": "Bursa",
                    "country_id": {"code": "TR"},
                    "parent_id": {"xml_id": "netmera_company_bare"},
                },
            ),
        ]

        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual((result["created"], result["errors"]), (2, []))
        no_country = self.env["res.country"]
        self.assertEqual(self.address(self.company), (False, False, False, no_country))
        oguz = self.xml_record("netmera_user_oguz")
        self.assertEqual(self.address(oguz), ("İstiklal Cad. 5", False, "İstanbul", self.tr))
        ece = self.xml_record("netmera_user_ece")
        self.assertEqual(self.address(ece), (False, False, "Bursa", self.tr))

    def test_only_contact(self):
        """Odoo gives an address-less company its first contact's address; the import does not."""
        row = {
            "name": "Oğuz Kaya",
            "street": "İstiklal Cad. 5",
            "city": "İstanbul",
            "country_id": {"code": "TR"},
            "parent_id": {"xml_id": "netmera_company_bare"},
        }

        result = self.run.import_batch("contacts", 0, [plan_row("netmera_user_oguz", row)])

        self.assertEqual((result["created"], result["errors"]), (1, []))
        no_country = self.env["res.country"]
        self.assertEqual(self.address(self.company), (False, False, False, no_country))
        oguz = self.xml_record("netmera_user_oguz")
        self.assertEqual(self.address(oguz), ("İstiklal Cad. 5", False, "İstanbul", self.tr))
