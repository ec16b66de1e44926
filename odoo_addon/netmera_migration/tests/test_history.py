from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.constants import IMPORT_CONTEXT
from .common import NetmeraMigrationCase, plan_row


def history_row(kind, xml_id, values):
    return plan_row(xml_id, dict(values, kind=kind))


def note(xml_id, contact, date, body="<p>Opened the app</p>", subject="Open App"):
    return history_row(
        "note",
        xml_id,
        {"res_id": {"xml_id": contact}, "date": date, "subject": subject, "body": body},
    )


@tagged("post_install", "-at_install")
class TestHistoryImport(NetmeraMigrationCase):
    def setUp(self):
        super().setUp()
        self.run = self.make_run()
        self.owner = self.env["res.users"].create(
            {"name": "Sales Owner", "login": "nm_history_owner", "email": "owner@example.com"}
        )
        self.import_tags(self.run, ["seg_1001"])
        self.run.import_batch(
            "contacts",
            0,
            [
                plan_row("netmera_user_ayse", {"name": "Ayşe"}),
                plan_row("netmera_user_mehmet", {"name": "Mehmet"}),
            ],
        )
        self.ayse = self.xml_record("netmera_user_ayse")
        self.mehmet = self.xml_record("netmera_user_mehmet")
        # As the owners phase assigns it: without tracking, which would post messages that
        # a rollback counts as people's work.
        self.mehmet.with_context(**IMPORT_CONTEXT).user_id = self.owner

    def messages_of(self, partner):
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id)], order="id"
        )

    def test_notes_keep_original_date_and_order(self):
        """Notes land on the contact with their UTC date, as internal notes, in row order."""
        rows = [
            note("netmera_message_1", "netmera_user_ayse", "2024-03-01 21:30:00"),
            note("netmera_message_2", "netmera_user_mehmet", "2024-03-01 22:00:00"),
            note("netmera_message_3", "netmera_user_ayse", "2024-03-02 08:12:05"),
        ]
        result = self.run.import_batch("history", 0, rows)

        self.assertEqual(result["errors"], [])
        self.assertEqual(result["created"], 3)
        messages = self.messages_of(self.ayse)
        self.assertEqual(
            [str(message.date) for message in messages],
            ["2024-03-01 21:30:00", "2024-03-02 08:12:05"],
        )
        first = self.xml_record("netmera_message_1")
        self.assertEqual(first.message_type, "comment")
        self.assertEqual(first.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(first.subject, "Open App")
        self.assertEqual(first.author_id, self.env.ref("base.partner_root"))
        ids = [self.xml_record(f"netmera_message_{n}").id for n in (1, 2, 3)]
        self.assertEqual(ids, sorted(ids))

    def test_note_headers_match_odoo(self):
        """A note gets the sender, reply-to and record name Odoo computes for its contact."""
        self.run.import_batch(
            "history", 0, [note("netmera_message_h", "netmera_user_mehmet", "2024-01-05 10:00:00")]
        )
        message = self.xml_record("netmera_message_h")
        sender = self.owner.partner_id.email_formatted

        self.assertEqual(message.email_from, sender)
        self.assertEqual(message.record_name, "Mehmet")
        self.assertEqual(
            message.reply_to, self.mehmet._notify_get_reply_to(default=sender)[self.mehmet.id]
        )

    def test_note_author_is_contact_owner(self):
        """A contact with a salesperson gets notes authored by that user's partner."""
        self.run.import_batch(
            "history", 0, [note("netmera_message_m", "netmera_user_mehmet", "2024-01-05 10:00:00")]
        )

        self.assertEqual(self.xml_record("netmera_message_m").author_id, self.owner.partner_id)

    def test_done_activity_has_activity_type(self):
        """A campaigns-phase type row and a history activity row make a done activity."""
        type_row = history_row(
            "activity_type", "netmera_event_purchase", {"name": "Purchase", "res_model": "res.partner"}
        )
        types = self.run.import_batch("campaigns", 0, [type_row])
        rows = [
            history_row(
                "activity",
                "netmera_message_purchase",
                {
                    "res_id": {"xml_id": "netmera_user_ayse"},
                    "date": "2024-02-10 09:15:00",
                    "subject": "Purchase",
                    "body": "<p><b>Purchase</b> done</p>",
                    "mail_activity_type_id": {"xml_id": "netmera_event_purchase"},
                },
            ),
        ]
        result = self.run.import_batch("history", 0, rows)

        self.assertEqual(types["errors"], [])
        self.assertEqual(result["errors"], [])
        activity_type = self.xml_record("netmera_event_purchase")
        self.assertEqual(activity_type.name, "Purchase")
        self.assertEqual(activity_type.res_model, "res.partner")
        message = self.xml_record("netmera_message_purchase")
        self.assertEqual(message.message_type, "notification")
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_activities"))
        self.assertEqual(message.mail_activity_type_id, activity_type)
        self.assertEqual(str(message.date), "2024-02-10 09:15:00")

    def test_unknown_contact_is_a_row_error(self):
        """A note for a contact that does not exist fails alone; the others commit."""
        rows = [
            note("netmera_message_a", "netmera_user_missing", "2024-01-01 00:00:00"),
            note("netmera_message_b", "netmera_user_ayse", "2024-01-01 00:00:01"),
        ]
        result = self.run.import_batch("history", 0, rows)

        self.assertEqual(result["created"], 1)
        self.assertEqual(len(result["errors"]), 1)
        self.assertEqual(result["errors"][0]["index"], 0)
        self.assertEqual(result["errors"][0]["field"], "res_id")
        self.assertIn("netmera_user_missing", result["errors"][0]["message"])

    def test_rerun_skips_unchanged_notes(self):
        """A second run with the same rows creates no second note."""
        rows = [note("netmera_message_1", "netmera_user_ayse", "2024-03-01 21:30:00")]
        self.run.import_batch("history", 0, rows)
        second = self.make_run(name="Second")

        result = second.import_batch("history", 0, rows)

        self.assertEqual(result["created"], 0)
        self.assertEqual(result["unchanged"], 1)
        self.assertEqual(len(self.messages_of(self.ayse)), 1)

    def test_out_of_order_batch_rejected(self):
        """A history batch numbered below a committed one is rejected."""
        self.run.import_batch(
            "history", 2, [note("netmera_message_late", "netmera_user_ayse", "2024-05-01 00:00:00")]
        )

        with self.assertRaises(UserError):
            self.run.import_batch(
                "history", 1, [note("netmera_message_early", "netmera_user_ayse", "2024-04-01 00:00:00")]
            )

    def test_campaign_links_medium_and_segments(self):
        """A campaign row stores metrics, links its segment tags and finds the Email medium."""
        values = {
            "title": "Haftalık Bülten",
            "netmera_campaign_id": "cmp-502",
            "netmera_channel": "EMAIL",
            "netmera_medium_id": {"utm_medium": "Email"},
            "netmera_scheduled_at": "2024-05-06 07:00:00",
            "netmera_sent": 79,
            "netmera_clicked": 7,
            "netmera_segment_tag_ids": {"xml_ids": ["netmera_tag_seg_1001"]},
            "netmera_manual_upload": "image bulten.png is 1.4 MB, over the 1 MB limit",
        }
        push = dict(values, title="Yaz", netmera_campaign_id="cmp-501")
        push["netmera_medium_id"] = {"utm_medium": "Push Notification"}
        media_before = self.env["utm.medium"].search_count([])

        result = self.run.import_batch(
            "campaigns",
            0,
            [
                history_row("campaign", "netmera_campaign_502", values),
                history_row("campaign", "netmera_campaign_501", push),
            ],
        )

        self.assertEqual(result["errors"], [])
        self.assertEqual(result["created"], 2)
        campaign = self.xml_record("netmera_campaign_502")
        self.assertEqual(campaign.title, "Haftalık Bülten")
        self.assertEqual(campaign.netmera_medium_id, self.env.ref("utm.utm_medium_email"))
        self.assertEqual(campaign.netmera_segment_tag_ids, self.xml_record("netmera_tag_seg_1001"))
        self.assertEqual(str(campaign.netmera_scheduled_at), "2024-05-06 07:00:00")
        self.assertEqual(campaign.netmera_sent, 79)
        self.assertTrue(campaign.netmera_needs_manual_upload)
        self.assertEqual(self.env["utm.medium"].search_count([]), media_before + 1)
        self.assertEqual(
            self.xml_record("netmera_campaign_501").netmera_medium_id.name, "Push Notification"
        )

    def test_rollback_removes_history_and_campaigns(self):
        """Rollback deletes notes, activities, activity types, campaigns and created media."""
        media_before = self.env["utm.medium"].search_count([])
        self.run.import_batch(
            "campaigns",
            0,
            [
                history_row(
                    "campaign",
                    "netmera_campaign_9",
                    {"title": "Push", "netmera_medium_id": {"utm_medium": "Push Notification"}},
                ),
                history_row("activity_type", "netmera_event_buy", {"name": "Buy", "res_model": "res.partner"}),
            ],
        )
        self.run.import_batch(
            "history",
            0,
            [
                note("netmera_message_1", "netmera_user_ayse", "2024-03-01 21:30:00"),
                history_row(
                    "activity",
                    "netmera_message_2",
                    {
                        "res_id": {"xml_id": "netmera_user_ayse"},
                        "date": "2024-03-02 21:30:00",
                        "subject": "Buy",
                        "body": "<p>Buy done</p>",
                        "mail_activity_type_id": {"xml_id": "netmera_event_buy"},
                    },
                ),
            ],
        )
        self.assertEqual(len(self.messages_of(self.ayse)), 2)
        self.run.action_done()

        self.run.rollback()

        for xml_id in ("netmera_campaign_9", "netmera_event_buy", "netmera_message_1", "netmera_message_2"):
            self.assertFalse(self.xml_record(xml_id), xml_id)
        self.assertEqual(self.env["utm.medium"].search_count([]), media_before)
        self.assertFalse(
            self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", self.ayse.id)])
        )
