from odoo.tests import new_test_user, tagged

from .common import NetmeraMigrationCase, plan_row


@tagged("post_install", "-at_install")
class TestOwnerMatching(NetmeraMigrationCase):
    def setUp(self):
        super().setUp()
        self.sales = new_test_user(
            self.env, login="Sales.Lead@Example.com", groups="base.group_user"
        )
        self.by_email = new_test_user(
            self.env, login="deniz", email="Deniz@Example.COM.tr", groups="base.group_user"
        )
        self.archived = new_test_user(self.env, login="gone@example.com", groups="base.group_user")
        self.archived.active = False
        self.run = self.make_run()

    def owner_rows(self):
        return [
            plan_row("netmera_owner_1", {"email": "sales.lead@example.com", "name": "Sales"}),
            plan_row("netmera_owner_2", {"email": "deniz@example.com.tr", "name": "Deniz"}),
            plan_row("netmera_owner_3", {"email": "gone@example.com", "name": "Gone"}),
            plan_row("netmera_owner_4", {"email": "nobody@example.com", "name": "Nobody"}),
        ]

    def test_owners_match_case_insensitively(self):
        """Login and email match without regard to case; archived and unknown owners queue."""
        result = self.run.import_batch("owners", 0, self.owner_rows())

        self.assertEqual(result["unchanged"], 2)
        self.assertEqual(result["queued"], 2)
        self.assertEqual(
            result["unmatched_owners"],
            [
                {
                    "index": 2,
                    "xml_id": "netmera_owner_3",
                    "email": "gone@example.com",
                    "name": "Gone",
                },
                {
                    "index": 3,
                    "xml_id": "netmera_owner_4",
                    "email": "nobody@example.com",
                    "name": "Nobody",
                },
            ],
        )
        queue = self.env["netmera.owner.queue"].search([("run_id", "=", self.run.id)])
        matched = {
            entry.email: entry.matched_user_id for entry in queue if entry.state == "matched"
        }
        self.assertEqual(
            matched, {"sales.lead@example.com": self.sales, "deniz@example.com.tr": self.by_email}
        )
        self.assertEqual(self.run.pending_owner_count(), 2)

    def test_contacts_resolve_matched_owners(self):
        """Contacts get the matched user; a manual match and an ignore resolve queued owners."""
        self.run.import_batch("owners", 0, self.owner_rows())
        queue = self.env["netmera.owner.queue"].search(
            [("run_id", "=", self.run.id), ("state", "=", "pending")]
        )
        queue.filtered(lambda e: e.email == "nobody@example.com").matched_user_id = self.sales
        queue.filtered(lambda e: e.email == "gone@example.com").action_ignore()
        self.assertEqual(self.run.pending_owner_count(), 0)

        rows = [
            plan_row(
                "netmera_user_a", {"name": "A", "user_id": {"owner_email": "DENIZ@example.com.tr"}}
            ),
            plan_row(
                "netmera_user_b", {"name": "B", "user_id": {"owner_email": "nobody@example.com"}}
            ),
            plan_row(
                "netmera_user_c", {"name": "C", "user_id": {"owner_email": "gone@example.com"}}
            ),
        ]
        result = self.run.import_batch("contacts", 0, rows)

        self.assertEqual(result["errors"], [])
        self.assertEqual(self.xml_record("netmera_user_a").user_id, self.by_email)
        self.assertEqual(self.xml_record("netmera_user_b").user_id, self.sales)
        self.assertFalse(self.xml_record("netmera_user_c").user_id)

    def test_new_batch_matches_owner_created_since(self):
        """A queued owner matches when its user exists by the next owners batch."""
        self.run.import_batch("owners", 0, self.owner_rows()[3:])
        user = new_test_user(self.env, login="nobody@example.com", groups="base.group_user")

        result = self.run.import_batch("owners", 1, self.owner_rows()[3:])

        self.assertEqual(result["unmatched_owners"], [])
        entry = self.env["netmera.owner.queue"].search([("run_id", "=", self.run.id)])
        self.assertEqual(entry.state, "matched")
        self.assertEqual(entry.matched_user_id, user)

    def test_rematch_owners_clears_entries_of_new_users(self):
        """rematch_owners matches pending owners to users created since, and lists the rest."""
        self.run.import_batch("owners", 0, self.owner_rows())
        user = new_test_user(
            self.env, login="nobody", email="NoBody@Example.com", groups="base.group_user"
        )

        result = self.run.rematch_owners()

        self.assertEqual(
            result, {"matched": 1, "pending": [{"email": "gone@example.com", "name": "Gone"}]}
        )
        entry = self.env["netmera.owner.queue"].search(
            [("run_id", "=", self.run.id), ("email", "=", "nobody@example.com")]
        )
        self.assertEqual(entry.state, "matched")
        self.assertEqual(entry.matched_user_id, user)
        self.assertEqual(self.run.pending_owner_count(), 1)

    def test_invalid_owner_email_is_a_row_error(self):
        """An owner row without a valid email is an error on the email field."""
        result = self.run.import_batch(
            "owners", 0, [plan_row("netmera_owner_x", {"email": "not-an-email"})]
        )

        self.assertEqual(
            result["errors"],
            [
                {
                    "index": 0,
                    "xml_id": "netmera_owner_x",
                    "field": "email",
                    "message": "Owner email 'not-an-email' is not valid.",
                }
            ],
        )
