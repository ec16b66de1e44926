"""Server-side import API of a run: ``import_batch`` and the generic upsert by external ID.

Phase handlers are methods named ``_import_phase_<phase>(phase, batch_no, rows)`` on the run
model. ``import_batch`` dispatches to them by name, so another module or file adds or
overrides a phase by inheriting ``netmera.migration.run``. A handler receives the run in sudo
with the import context, and returns the dict built by ``_new_batch_result()``.

Helpers a handler can reuse, all on the run record (the writing ones live in
``netmera_migration_run_write``):

* ``_upsert_rows(model_name, phase, batch_no, rows, defaults=None)``: the whole upsert of plan
  rows into one model: hash skip, relation resolution, batch create, grouped writes, external
  IDs, ledger and bindings. Returns a batch result. For ``res.partner``, a child contact whose
  row has an address keeps that address although Odoo copies the parent's onto it (see
  ``res.partner._netmera_own_address``).
* ``_parse_rows(rows, result)``: checks the row shapes and returns ``ImportItem`` objects;
  bad rows go to ``result["errors"]``.
* ``_lookup_targets(items, model_name, result)``: one query for the external IDs of the items,
  sets ``item.res_id`` and ``item.previous_hash``, and counts rows whose hash is unchanged.
* ``_add_row_error(result, index, xml_id, field, message)``: appends an error in the API shape.
* ``_create_records(model, items, result)`` / ``_register_xml_ids(model_name, items)``: batch
  create with savepoint bisection, then external IDs for the created items.
* ``_write_ledger(phase, batch_no, entries)``: one INSERT per 1000 ledger lines; an entry is a
  dict with ``model``, ``res_id``, ``xml_id``, ``operation`` and optionally
  ``previous_values``, ``links_added``, ``content_hash``, ``previous_hash``. Rollback deletes
  every ``create`` entry's record, so a record created outside ``_upsert_rows`` (a
  ``mail.message`` for instance) only needs a ledger entry to be rolled back.
* ``_write_bindings(phase, model_name, items)``: stores the content hash of each item's
  external ID, which is what makes a re-run skip it.
"""

import json
import logging

from odoo import _, models
from odoo.exceptions import UserError

from .constants import IMPORT_CONTEXT, PHASES
from .import_relations import RelationResolver, lookup_xml_ids, split_xml_id
from .import_values import RowValueError, check_writable, convert_plain_value

_logger = logging.getLogger(__name__)

MAX_XML_ID_LENGTH = 256


class ImportItem:
    """One plan row on its way into Odoo."""

    __slots__ = (
        "index",
        "xml_id",
        "values",
        "content_hash",
        "vals",
        "res_id",
        "previous_hash",
        "last_written",
        "previous_values",
        "links_added",
        "links_removed",
        "own_address",
        "recheck_address",
    )

    def __init__(self, index, xml_id, values, content_hash):
        self.index = index
        self.xml_id = xml_id
        self.values = values
        self.content_hash = content_hash
        self.vals = None
        self.res_id = None
        self.previous_hash = None
        # The binding's field state, see import_field_state; None writes the row in full.
        self.last_written = None
        self.previous_values = None
        self.links_added = None
        self.links_removed = None
        # The address a child contact keeps against Odoo's parent sync; see res_partner.
        self.own_address = None
        # Same hash as the bound record, but Odoo may have replaced the address since.
        self.recheck_address = False


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    def import_batch(self, phase, batch_no, rows):
        """Import one batch of plan rows of a phase in this transaction; see the module doc."""
        self.ensure_one()
        self._check_manager()
        if phase not in PHASES:
            raise UserError(_("Unknown phase %(phase)s.", phase=phase))
        if isinstance(batch_no, bool) or not isinstance(batch_no, int) or batch_no < 0:
            raise UserError(
                _("Batch number %(batch)s is not a non-negative integer.", batch=batch_no)
            )
        if not isinstance(rows, list):
            raise UserError(_("Rows of batch %(batch)s must be a list.", batch=batch_no))

        self._lock_for_batch()
        if self.state == "rolled_back":
            raise UserError(
                _(
                    "Run %(name)s is rolled_back; batches import only while it is running.",
                    name=self.name,
                )
            )
        Checkpoint = self.env["netmera.migration.checkpoint"].sudo()
        checkpoint = Checkpoint.search(
            [
                ("run_id", "=", self.id),
                ("phase", "=", phase),
                ("batch_no", "=", batch_no),
                ("result", "!=", False),
            ]
        )
        if checkpoint:
            return self._replayed_result(checkpoint)
        if self.state != "running":
            raise UserError(
                _(
                    "Run %(name)s is %(state)s; batches import only while it is running.",
                    name=self.name,
                    state=self.state,
                )
            )

        handler = getattr(self, f"_import_phase_{phase}", None)
        if handler is None:
            raise UserError(
                _("This version of the addon cannot import phase %(phase)s.", phase=phase)
            )
        checkpoint = self._claim_checkpoint(phase, batch_no)
        if checkpoint.result:
            return self._replayed_result(checkpoint)

        run = self.sudo().with_context(**IMPORT_CONTEXT)
        result = getattr(run, f"_import_phase_{phase}")(phase, batch_no, rows)
        result.update(batch_no=batch_no, replayed=False)
        checkpoint.write(
            {
                "result": json.dumps(result),
                "read_count": len(rows),
                "created_count": result["created"],
                "updated_count": result["updated"],
                "unchanged_count": result["unchanged"],
                "error_count": len(result["errors"]),
            }
        )
        _logger.info(
            "Run %s %s batch %s: %s rows, %s created, %s updated, %s unchanged, %s errors",
            self.id,
            phase,
            batch_no,
            len(rows),
            result["created"],
            result["updated"],
            result["unchanged"],
            len(result["errors"]),
        )
        return result

    def _lock_for_batch(self):
        """Hold a key-share lock on the run's row until the batch commits.

        Batches of one run share this lock, and heartbeats and progress reports do not wait for
        it, but a rollback's ``FOR UPDATE NOWAIT`` is refused while a batch holds it. When a
        rollback committed after this transaction began, PostgreSQL fails the lock with a
        serialization error and Odoo retries the call, which then reads the new state.
        """
        # Odoo retries a serialization failure, so it is no query error worth logging.
        self.env.cr.execute(
            "SELECT id FROM netmera_migration_run WHERE id = %s FOR KEY SHARE",
            (self.id,),
            log_exceptions=False,
        )
        self.invalidate_recordset()

    @staticmethod
    def _replayed_result(checkpoint):
        result = json.loads(checkpoint.result)
        result["replayed"] = True
        return result

    def _claim_checkpoint(self, phase, batch_no):
        """Insert the batch's checkpoint before any record, so a concurrent copy of it waits.

        A second transaction that inserts the same (run, phase, batch_no) blocks on the unique
        index until the first one ends. When the first one commits, PostgreSQL raises a
        serialization failure in the second (REPEATABLE READ with ON CONFLICT), and Odoo's RPC
        layer retries the call, which then finds the checkpoint and replays it.
        """
        self.env.cr.execute(
            """
            INSERT INTO netmera_migration_checkpoint
                   (run_id, phase, batch_no, create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (run_id, phase, batch_no) DO NOTHING
            RETURNING id
            """,
            (self.id, phase, batch_no, self.env.uid, self.env.uid),
        )
        row = self.env.cr.fetchone()
        Checkpoint = self.env["netmera.migration.checkpoint"].sudo()
        if row:
            return Checkpoint.browse(row[0])
        return Checkpoint.search(
            [("run_id", "=", self.id), ("phase", "=", phase), ("batch_no", "=", batch_no)]
        )

    def _import_phase_tags(self, phase, batch_no, rows):
        return self._upsert_rows("res.partner.category", phase, batch_no, rows)

    def _import_phase_stages(self, phase, batch_no, rows):
        return self._upsert_rows("netmera.segment.stage", phase, batch_no, rows)

    def _import_phase_companies(self, phase, batch_no, rows):
        return self._upsert_rows(
            "res.partner", phase, batch_no, rows, defaults={"is_company": True}
        )

    def _import_phase_contacts(self, phase, batch_no, rows):
        return self._upsert_rows("res.partner", phase, batch_no, rows)

    def _import_phase_campaigns(self, phase, batch_no, rows):
        """Upsert campaigns as plain utm.campaign rows; a richer handler may override this."""
        return self._upsert_rows("utm.campaign", phase, batch_no, rows)

    @staticmethod
    def _new_batch_result():
        return {
            "batch_no": False,
            "replayed": False,
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "errors": [],
            "unmatched_owners": [],
        }

    @staticmethod
    def _add_row_error(result, index, xml_id, field, message):
        # False, not None: Odoo's XML-RPC marshaller rejects None.
        result["errors"].append(
            {"index": index, "xml_id": xml_id or False, "field": field or False, "message": message}
        )

    def _upsert_rows(self, model_name, phase, batch_no, rows, defaults=None):
        """Create or update ``model_name`` records from plan rows by external ID."""
        result = self._new_batch_result()
        model = self.env[model_name]

        items = self._parse_rows(rows, result)
        pending = self._lookup_targets(items, model_name, result)
        pending = self._convert_items(model, pending, result)

        creates = [item for item in pending if item.res_id is None]
        updates = [item for item in pending if item.res_id is not None]
        for item in creates:
            for field_name, value in (defaults or {}).items():
                item.vals.setdefault(field_name, value)
        created = self._create_records(model, creates, result)
        self._register_xml_ids(model_name, created)
        updated, unchanged = self._update_records(model, updates, result)

        result["created"] += len(created)
        result["updated"] += len(updated)
        result["unchanged"] += len(unchanged)
        self._write_ledger(
            phase,
            batch_no,
            [self._ledger_entry(model_name, item, "create") for item in created]
            + [self._ledger_entry(model_name, item, "update") for item in updated],
        )
        self._write_bindings(phase, model_name, created + updated + unchanged)
        result["errors"].sort(key=lambda error: error["index"])
        return result

    def _parse_rows(self, rows, result):
        """Return ImportItems for well-formed rows; duplicates and bad shapes become errors."""
        items = []
        seen = set()
        for index, row in enumerate(rows):
            xml_id = row.get("xml_id") if isinstance(row, dict) else None
            if not isinstance(row, dict) or not isinstance(row.get("values"), dict):
                self._add_row_error(result, index, xml_id, None, "Row has no values object.")
                continue
            if not isinstance(xml_id, str) or not xml_id or len(xml_id) > MAX_XML_ID_LENGTH:
                self._add_row_error(result, index, None, "id", "Row has no valid xml_id.")
                continue
            if "." in xml_id and split_xml_id(xml_id)[0] != "__import__":
                self._add_row_error(
                    result, index, xml_id, "id", "Imported rows use external IDs of __import__."
                )
                continue
            xml_id = split_xml_id(xml_id)[1]
            if xml_id in seen:
                self._add_row_error(
                    result, index, xml_id, "id", "External ID appears twice in the batch."
                )
                continue
            seen.add(xml_id)
            content_hash = row.get("hash") if isinstance(row.get("hash"), str) else None
            items.append(ImportItem(index, xml_id, row["values"], content_hash))
        return items

    def _lookup_targets(self, items, model_name, result):
        """Bind items to existing records in one query and drop those whose hash is unchanged.

        A child contact with an address of its own stays, marked ``recheck_address``, even when
        its hash is unchanged. Odoo copies a company's new address onto its child contacts, and
        older versions of this addon kept the copy Odoo made at creation. ``_update_records``
        then repairs only address fields that equal the parent's; other fields of the row are
        not written again.
        """
        targets = lookup_xml_ids(self.env.cr, [item.xml_id for item in items])
        own_address = getattr(self.env[model_name], "_netmera_own_address", lambda *args: None)
        stale = []
        alive_ids = set()
        same_model_ids = [target[1] for target in targets.values() if target[0] == model_name]
        if same_model_ids:
            alive_ids = set(self.env[model_name].browse(same_model_ids).exists().ids)

        pending = []
        for item in items:
            target = targets.get(item.xml_id)
            if target and target[0] != model_name:
                self._add_row_error(
                    result,
                    item.index,
                    item.xml_id,
                    "id",
                    f"External ID {item.xml_id} already belongs to a {target[0]} record.",
                )
                continue
            if target and target[1] not in alive_ids:
                # The record was deleted in Odoo; its dangling external ID is replaced.
                stale.append(item.xml_id)
                target = None
            if target:
                item.res_id = target[1]
                item.previous_hash = target[2]
                if item.content_hash and item.content_hash == target[2]:
                    if not own_address(item.values, {}):
                        result["unchanged"] += 1
                        continue
                    item.recheck_address = True
            pending.append(item)

        if stale:
            self._drop_stale_xml_ids(stale)
        return pending

    def _drop_stale_xml_ids(self, names):
        self.env.cr.execute(
            "DELETE FROM ir_model_data WHERE module = '__import__' AND name IN %s",
            (tuple(names),),
        )
        self.env.cr.execute(
            "DELETE FROM netmera_migration_binding WHERE xml_id IN %s", (tuple(names),)
        )
        self.env["ir.model.data"].invalidate_model()
        self.env["netmera.migration.binding"].invalidate_model()
        self.env.registry.clear_cache()

    def _convert_items(self, model, items, result):
        """Turn the values of each item into ORM values; rows with a bad value become errors."""
        resolver = RelationResolver(self, model)
        resolver.prefetch([item.values for item in items])
        selection_cache = {}
        own_address = getattr(model, "_netmera_own_address", None)
        converted = []
        for item in items:
            try:
                item.vals = self._convert_values(model, item.values, resolver, selection_cache)
            except RowValueError as err:
                self._add_row_error(result, item.index, item.xml_id, err.field_name, err.message)
                continue
            if own_address:
                item.own_address = own_address(item.values, item.vals)
                if item.own_address:
                    item.vals.update(item.own_address)
            converted.append(item)
        return converted

    def _convert_values(self, model, values, resolver, selection_cache):
        vals = {}
        for field_name, value in values.items():
            field = check_writable(model, field_name)
            if field.type in ("many2one", "many2many"):
                vals[field_name] = resolver.resolve(field, value)
            else:
                vals[field_name] = convert_plain_value(model, field, value, selection_cache)
        return vals
