"""Import of the ``campaigns`` and ``history`` phases: campaigns, chatter notes, done activities.

History rows must be created in plan order. Odoo's chatter sorts messages by id, and ids come
from a sequence in creation order. The plan lists history rows by ascending original time, so
the notes of a contact show in time order only if batch N+1 is created after batch N. The
bridge therefore sends history batches one at a time (concurrency 1), and a batch whose
successor already committed is rejected rather than written out of order.

NOTE: order holds within one run. A later run whose snapshot adds events older than a
contact's existing notes creates them with higher ids, so the chatter lists them after the
newer notes; the ``date`` of each message stays the original one.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .import_relations import lookup_xml_ids, split_xml_id
from .import_values import RowValueError, convert_plain_value

_logger = logging.getLogger(__name__)

# Model whose chatter receives the history of a contact.
CONTACT_MODEL = "res.partner"

# Row kinds (``values["kind"]``) of each phase and the model they land in. Activity types are
# planned in the campaigns phase, so that they exist before the first history batch.
CAMPAIGN_KINDS = {"activity_type": "mail.activity.type", "campaign": "utm.campaign"}
HISTORY_KINDS = {"note": "mail.message", "activity": "mail.message"}

# Fields a message row may carry. The kind of the row fixes every other message field.
MESSAGE_FIELDS = ("res_id", "date", "subject", "body", "mail_activity_type_id")

# How Odoo records each kind: an internal note, or a done activity as mail.activity's
# _action_done posts it (message_type notification, subtype mail.mt_activities, with the type).
MESSAGE_KIND_VALUES = {
    "note": {"message_type": "comment", "subtype_xmlid": "mail.mt_note"},
    "activity": {"message_type": "notification", "subtype_xmlid": "mail.mt_activities"},
}


class UtmCampaign(models.Model):
    _inherit = "utm.campaign"

    netmera_campaign_id = fields.Char(string="Netmera Campaign ID", index=True, readonly=True)
    netmera_notification_key = fields.Char(string="Netmera Notification Key", readonly=True)
    netmera_channel = fields.Char(
        string="Netmera Channel", help="Channel as Netmera names it: PUSH, EMAIL, SMS, IN_APP..."
    )
    netmera_medium_id = fields.Many2one("utm.medium", string="Medium", ondelete="set null")
    netmera_status = fields.Char(string="Netmera Status")
    netmera_content = fields.Text(string="Message Content")
    netmera_scheduled_at = fields.Datetime(string="Scheduled At")
    netmera_schedule = fields.Char(string="Schedule", help="Schedule in the source time zone.")
    netmera_sent = fields.Integer(string="Sent")
    netmera_failed = fields.Integer(string="Failed")
    netmera_delivered = fields.Integer(string="Delivered")
    netmera_opened = fields.Integer(string="Opened")
    netmera_clicked = fields.Integer(string="Clicked")
    netmera_conversions = fields.Integer(string="Conversions")
    netmera_segment_tag_ids = fields.Many2many(
        "res.partner.category",
        "utm_campaign_netmera_segment_tag_rel",
        "campaign_id",
        "category_id",
        string="Targeted Segments",
    )
    netmera_manual_upload = fields.Text(
        string="Media to Upload by Hand",
        help="Images over 1 MB and videos over 12 MB that were not migrated, one per line.",
    )
    netmera_needs_manual_upload = fields.Boolean(
        string="Needs Manual Upload", compute="_compute_netmera_needs_manual_upload", store=True
    )

    @api.depends("netmera_manual_upload")
    def _compute_netmera_needs_manual_upload(self):
        for campaign in self:
            campaign.netmera_needs_manual_upload = bool(campaign.netmera_manual_upload)


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    def _import_phase_campaigns(self, phase, batch_no, rows):
        """Upsert utm.campaign rows; their channel's utm.medium is matched by name or created."""
        rows = self._resolve_campaign_media(phase, batch_no, rows)
        return self._import_by_kind(phase, batch_no, rows, CAMPAIGN_KINDS)

    def _import_phase_history(self, phase, batch_no, rows):
        """Create activity types, notes and done activities in row order; see the module doc."""
        self._check_history_order(phase, batch_no)
        return self._import_by_kind(phase, batch_no, rows, HISTORY_KINDS)

    def _check_history_order(self, phase, batch_no):
        later = self.env["netmera.migration.checkpoint"].search_count(
            [("run_id", "=", self.id), ("phase", "=", phase), ("batch_no", ">", batch_no)]
        )
        if later:
            raise UserError(
                _(
                    "History batch %(batch)s of run %(name)s arrived after a later batch "
                    "committed; history batches must be sent one at a time, in order, so that "
                    "the chatter shows notes in time order.",
                    batch=batch_no,
                    name=self.name,
                )
            )

    def _import_by_kind(self, phase, batch_no, rows, kinds):
        """Import consecutive rows of one kind together, keeping the order of the batch.

        The kind is taken out of the values before they are written; the row hash, computed
        by the bridge over the values including the kind, is stored unchanged.
        """
        result = self._new_batch_result()
        kinds_of_rows = [self._row_kind(row) for row in rows]
        rows = [self._without_kind(row) for row in rows]
        start = 0
        while start < len(rows):
            kind = kinds_of_rows[start]
            end = start + 1
            while end < len(rows) and kinds_of_rows[end] == kind:
                end += 1
            chunk = rows[start:end]
            if kind not in kinds:
                for offset, row in enumerate(chunk):
                    xml_id = row.get("xml_id") if isinstance(row, dict) else None
                    self._add_row_error(
                        result, start + offset, xml_id, "kind", f"Unknown row kind {kind!r}."
                    )
            elif kinds[kind] == "mail.message":
                self._merge_result(result, self._import_messages(phase, batch_no, chunk, kind), start)
            else:
                self._merge_result(
                    result, self._upsert_rows(kinds[kind], phase, batch_no, chunk), start
                )
            start = end
        result["errors"].sort(key=lambda error: error["index"])
        return result

    @staticmethod
    def _row_kind(row):
        values = row.get("values") if isinstance(row, dict) else None
        return values.get("kind") if isinstance(values, dict) else None

    @staticmethod
    def _without_kind(row):
        if not isinstance(row, dict) or not isinstance(row.get("values"), dict):
            return row
        values = {key: value for key, value in row["values"].items() if key != "kind"}
        return dict(row, values=values)

    @staticmethod
    def _merge_result(result, part, offset):
        for key in ("created", "updated", "unchanged"):
            result[key] += part[key]
        for error in part["errors"]:
            result["errors"].append(dict(error, index=error["index"] + offset))

    # Campaigns -------------------------------------------------------------------------

    def _resolve_campaign_media(self, phase, batch_no, rows):
        """Replace ``{"utm_medium": name}`` by the external ID of a medium of that name.

        A medium is matched case-insensitively among existing ones (utm ships Email, Phone,
        Website ...); a missing one is created with a ledger line, so rollback removes it.
        A matched medium without an external ID gets one under ``__import__``, also ledgered.
        """
        names = set()
        for row in rows:
            medium = self._medium_value(row)
            if medium:
                names.add(medium)
        if not names:
            return rows

        Medium = self.env["utm.medium"].with_context(active_test=False)
        by_name = {}
        for medium in Medium.search([]):
            by_name.setdefault(medium.name.strip().lower(), medium)
        ledger = []
        xml_ids = {}
        for name in sorted(names):
            medium = by_name.get(name.strip().lower())
            if not medium:
                medium = Medium.create({"name": name})
                ledger.append({"model": "utm.medium", "res_id": medium.id, "operation": "create"})
            xml_ids[name] = self._medium_xml_id(medium, ledger)
        self._write_ledger(phase, batch_no, ledger)

        converted = []
        for row in rows:
            medium = self._medium_value(row)
            if medium:
                values = dict(row["values"], netmera_medium_id={"xml_id": xml_ids[medium]})
                row = dict(row, values=values)
            converted.append(row)
        return converted

    @staticmethod
    def _medium_value(row):
        values = row.get("values") if isinstance(row, dict) else None
        medium = values.get("netmera_medium_id") if isinstance(values, dict) else None
        name = medium.get("utm_medium") if isinstance(medium, dict) else None
        return name.strip() if isinstance(name, str) and name.strip() else None

    def _medium_xml_id(self, medium, ledger):
        data = self.env["ir.model.data"].search(
            [("model", "=", "utm.medium"), ("res_id", "=", medium.id)], limit=1
        )
        if data:
            return f"{data.module}.{data.name}"
        name = f"netmera_medium_{medium.id}"
        data = self.env["ir.model.data"].create(
            {"module": "__import__", "name": name, "model": "utm.medium", "res_id": medium.id}
        )
        ledger.append({"model": "ir.model.data", "res_id": data.id, "operation": "create"})
        return f"__import__.{name}"

    # History messages ------------------------------------------------------------------

    def _import_messages(self, phase, batch_no, rows, kind):
        """Create (or update) chatter messages on contacts, in the order of ``rows``."""
        result = self._new_batch_result()
        Message = self.env["mail.message"]
        items = self._parse_rows(rows, result)
        pending = self._lookup_targets(items, "mail.message", result)
        self._convert_message_items(pending, kind, result)
        pending = [item for item in pending if item.vals is not None]

        creates = [item for item in pending if item.res_id is None]
        updates = [item for item in pending if item.res_id is not None]
        created = self._create_records(Message, creates, result)
        self._register_xml_ids("mail.message", created)
        updated, unchanged = self._update_records(Message, updates, result)

        result["created"] += len(created)
        result["updated"] += len(updated)
        result["unchanged"] += len(unchanged)
        self._write_ledger(
            phase,
            batch_no,
            [self._ledger_entry("mail.message", item, "create") for item in created]
            + [self._ledger_entry("mail.message", item, "update") for item in updated],
        )
        self._write_bindings(phase, "mail.message", created + updated + unchanged)
        return result

    def _convert_message_items(self, items, kind, result):
        """Fill ``item.vals`` with mail.message values; a row with a bad value gets an error."""
        names = set()
        for item in items:
            for field_name in ("res_id", "mail_activity_type_id"):
                ref = item.values.get(field_name)
                if isinstance(ref, dict) and isinstance(ref.get("xml_id"), str):
                    names.add(ref["xml_id"])
        targets = lookup_xml_ids(self.env.cr, names)
        partner_ids = [
            target[1] for target in targets.values() if target[0] == CONTACT_MODEL
        ]
        partners = self.env[CONTACT_MODEL].browse(partner_ids).exists()
        authors = {partner.id: partner.user_id.partner_id.id for partner in partners}
        odoobot = self.env.ref("base.partner_root").id
        fixed = MESSAGE_KIND_VALUES[kind]
        subtype = self.env.ref(fixed["subtype_xmlid"]).id
        Message = self.env["mail.message"]

        for partner_id in authors:
            authors[partner_id] = authors[partner_id] or odoobot
        headers = self._message_headers(partners, authors)

        for item in items:
            try:
                vals = self._message_vals(Message, item.values, targets, authors, kind)
            except RowValueError as err:
                self._add_row_error(result, item.index, item.xml_id, err.field_name, err.message)
                continue
            vals.update(
                headers[vals["res_id"]],
                model=CONTACT_MODEL,
                message_type=fixed["message_type"],
                subtype_id=subtype,
                author_id=authors[vals["res_id"]],
            )
            item.vals = vals

    def _message_headers(self, partners, authors):
        """Return ``email_from``, ``reply_to`` and ``record_name`` per contact id, per batch.

        mail.message's create computes them for each message otherwise, and its reply-to lookup
        alone costs an alias query per message. The values are the ones it would compute.
        """
        by_author = {}
        for partner in partners:
            by_author.setdefault(authors[partner.id], []).append(partner.id)

        headers = {}
        Thread = self.env["mail.thread"]
        for author_id, partner_ids in by_author.items():
            _author, email_from = Thread._message_compute_author(
                author_id, email_from=None, raise_on_email=False
            )
            group = self.env[CONTACT_MODEL].browse(partner_ids)
            reply_to = group._notify_get_reply_to(default=email_from)
            for partner in group.sudo():
                headers[partner.id] = {
                    "email_from": email_from,
                    "reply_to": reply_to[partner.id],
                    "record_name": partner.display_name,
                }
        return headers

    def _message_vals(self, Message, values, targets, authors, kind):
        unknown = sorted(set(values) - set(MESSAGE_FIELDS))
        if unknown:
            raise RowValueError(unknown[0], f"Field {unknown[0]} cannot be set on a history row.")
        if not values.get("date"):
            raise RowValueError("date", "A history row needs the original date (UTC).")

        vals = {}
        for field_name in ("date", "subject", "body"):
            vals[field_name] = convert_plain_value(
                Message, Message._fields[field_name], values.get(field_name), {}
            )
        vals["res_id"] = self._message_target(targets, values.get("res_id"), "res_id", CONTACT_MODEL)
        if vals["res_id"] not in authors:
            raise RowValueError("res_id", f"Contact {values['res_id']['xml_id']} no longer exists.")

        if kind == "activity":
            vals["mail_activity_type_id"] = self._message_target(
                targets, values.get("mail_activity_type_id"), "mail_activity_type_id",
                "mail.activity.type",
            )
        return vals

    @staticmethod
    def _message_target(targets, ref, field_name, model_name):
        xml_id = ref.get("xml_id") if isinstance(ref, dict) else None
        if not isinstance(xml_id, str):
            raise RowValueError(field_name, f"{field_name} must be {{\"xml_id\": ...}}, not {ref!r}.")
        target = targets.get(xml_id)
        if target is None or target[0] != model_name:
            module, name = split_xml_id(xml_id)
            raise RowValueError(field_name, f"No {model_name} record with external ID {module}.{name}.")
        return target[1]
