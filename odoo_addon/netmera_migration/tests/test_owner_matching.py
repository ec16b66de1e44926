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


@tagged("post_install", "-at_install")
class TestOwnerDecisionCarryOver(NetmeraMigrationCase):
    """A decision on a queued owner carries over to later runs of the same database."""

    def setUp(self):
        super().setUp()
        self.sales = new_test_user(self.env, login="sales@example.com", groups="base.group_user")
        self.Queue = self.env["netmera.owner.queue"]
        self.rows = [
            plan_row("netmera_owner_deniz", {"email": "Deniz.Aydin@example.com.tr", "name": "D"}),
            plan_row("netmera_owner_selin", {"email": "selin.kaya@example.com.tr", "name": "S"}),
        ]
        self.sample = self.make_run(name="Sample", is_sample=True, sample_size=20)
        self.sample.import_batch("owners", 0, self.rows)
        self.line(self.sample, "deniz.aydin@example.com.tr").matched_user_id = self.sales
        self.line(self.sample, "selin.kaya@example.com.tr").action_ignore()

    def line(self, run, email):
        return self.Queue.search([("run_id", "=", run.id), ("email", "=", email)])

    def test_full_run_takes_the_samples_decisions(self):
        """The full run's owners batch queues nothing and its contacts get the sample's match."""
        full = self.make_run(name="Full")

        result = full.import_batch("owners", 0, self.rows)

        self.assertEqual((result["queued"], result["unchanged"]), (0, 2))
        self.assertEqual(result["unmatched_owners"], [])
        self.assertEqual(full.pending_owner_count(), 0)
        deniz = self.line(full, "deniz.aydin@example.com.tr")
        selin = self.line(full, "selin.kaya@example.com.tr")
        self.assertEqual((deniz.state, deniz.matched_user_id), ("matched", self.sales))
        self.assertEqual((selin.state, selin.matched_user_id.id), ("ignored", False))
        self.assertEqual(deniz.carried_from_id, self.line(self.sample, deniz.email))
        self.assertEqual(selin.carried_from_run_id, self.sample)

        contacts = [
            plan_row(
                "netmera_user_a",
                {"name": "A", "user_id": {"owner_email": "deniz.aydin@example.com.tr"}},
            ),
            plan_row(
                "netmera_user_b",
                {"name": "B", "user_id": {"owner_email": "selin.kaya@example.com.tr"}},
            ),
        ]
        self.assertEqual(full.import_batch("contacts", 0, contacts)["errors"], [])
        self.assertEqual(self.xml_record("netmera_user_a").user_id, self.sales)
        self.assertFalse(self.xml_record("netmera_user_b").user_id)

    def test_carried_decision_changed_on_a_new_run_carries_on(self):
        """Changing a carried line decides it on the new run; the next run takes the change."""
        full = self.make_run(name="Full")
        full.import_batch("owners", 0, self.rows)
        deniz = self.line(full, "deniz.aydin@example.com.tr")

        deniz.action_ignore()

        self.assertEqual((deniz.state, deniz.carried_from_id.id), ("ignored", False))
        sample_line = self.line(self.sample, deniz.email)
        self.assertEqual((sample_line.state, sample_line.matched_user_id), ("matched", self.sales))
        resync = self.make_run(name="Re-sync")
        resync.import_batch("owners", 0, self.rows)
        carried = self.line(resync, deniz.email)
        self.assertEqual((carried.state, carried.carried_from_id), ("ignored", deniz))

    def test_rematch_takes_a_decision_made_since(self):
        """An owner queued before another run decided it is unblocked by rematch_owners."""
        other = self.make_run(name="Other")
        rows = [plan_row("netmera_owner_new", {"email": "new@example.com", "name": "N"})]
        other.import_batch("owners", 0, rows)
        self.assertEqual(other.pending_owner_count(), 1)
        full = self.make_run(name="Full")
        full.import_batch("owners", 0, rows)
        self.line(other, "new@example.com").matched_user_id = self.sales

        result = full.rematch_owners()

        self.assertEqual(result, {"matched": 1, "pending": []})
        line = self.line(full, "new@example.com")
        self.assertEqual((line.state, line.matched_user_id), ("matched", self.sales))
        self.assertEqual(line.carried_from_run_id, other)

    def test_match_to_an_archived_user_is_not_carried(self):
        """When the matched user is archived since, the owner waits for a new decision."""
        self.sales.active = False
        full = self.make_run(name="Full")

        result = full.import_batch("owners", 0, self.rows)

        self.assertEqual(
            [owner["email"] for owner in result["unmatched_owners"]],
            ["deniz.aydin@example.com.tr"],
        )
        self.assertEqual(self.line(full, "deniz.aydin@example.com.tr").state, "pending")
        self.assertEqual(self.line(full, "selin.kaya@example.com.tr").state, "ignored")
