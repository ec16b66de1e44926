"""Server-side import API of a run: ``import_batch`` and the generic upsert by external ID.

Phase handlers are methods named ``_import_phase_<phase>(phase, batch_no, rows)`` on the run
model. ``import_batch`` dispatches to them by name, so another module or file adds or
overrides a phase by inheriting ``netmera.migration.run``. A handler receives the run in sudo
with the import context, and returns the dict built by ``_new_batch_result()``.

Helpers a handler can reuse, all on the run record:

* ``_upsert_rows(model_name, phase, batch_no, rows, defaults=None)``: the whole upsert of plan
  rows into one model: hash skip, relation resolution, batch create, grouped writes, external
  IDs, ledger and bindings. Returns a batch result.
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
from collections import defaultdict

import psycopg2

from odoo import _, models
from odoo.exceptions import UserError

from .constants import IMPORT_CONTEXT, PHASES, XML_ID_MODULE
from .import_relations import RelationResolver, lookup_xml_ids, split_xml_id
from .import_values import RowValueError, check_writable, convert_plain_value, serialize_current

_logger = logging.getLogger(__name__)

# Errors an ORM create or write raises for bad data. AccessError, MissingError and
# ValidationError derive from UserError.
DATA_ERRORS = (psycopg2.Error, UserError, ValueError, TypeError)

MAX_XML_ID_LENGTH = 256

LEDGER_COLUMNS = (
    "run_id",
    "phase",
    "batch_no",
    "model",
    "res_id",
    "xml_id",
    "operation",
    "previous_values",
    "links_added",
    "content_hash",
    "previous_hash",
    "rolled_back",
)


def insert_rows(cr, uid, table, columns, rows):
    """Insert ``rows`` into ``table`` with one multi-row INSERT per 1000 rows.

    The creation and write user and date columns get ``uid`` and the transaction's time, as
    the ORM would set them. ``table`` and ``columns`` come from this module, never from a
    request.
    """
    column_list = ", ".join(columns)
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ", %s, %s, {now}, {now})"
        placeholders = ", ".join([placeholder.format(now="now() AT TIME ZONE 'UTC'")] * len(chunk))
        cr.execute(
            f"INSERT INTO {table} ({column_list}, create_uid, write_uid, create_date, write_date) "
            f"VALUES {placeholders}",
            [value for row in chunk for value in (*row, uid, uid)],
        )


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
        "previous_values",
        "links_added",
    )

    def __init__(self, index, xml_id, values, content_hash):
        self.index = index
        self.xml_id = xml_id
        self.values = values
        self.content_hash = content_hash
        self.vals = None
        self.res_id = None
        self.previous_hash = None
        self.previous_values = None
        self.links_added = None


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
        """Bind items to existing records in one query and drop those whose hash is unchanged."""
        targets = lookup_xml_ids(self.env.cr, [item.xml_id for item in items])
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
                    result["unchanged"] += 1
                    continue
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
        converted = []
        for item in items:
            try:
                item.vals = self._convert_values(model, item.values, resolver, selection_cache)
            except RowValueError as err:
                self._add_row_error(result, item.index, item.xml_id, err.field_name, err.message)
                continue
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

    def _create_records(self, model, items, result):
        """Create the items with one ``create(vals_list)``; on failure, bisect to the bad rows."""
        if not items:
            return []

        try:
            with self.env.cr.savepoint():
                records = model.create([self._create_vals(model, item.vals) for item in items])
        except DATA_ERRORS as err:
            if len(items) == 1:
                self._add_db_error(result, items[0], err)
                return []
            middle = len(items) // 2
            return self._create_records(model, items[:middle], result) + self._create_records(
                model, items[middle:], result
            )

        for item, record in zip(items, records):
            item.res_id = record.id
        return items

    @staticmethod
    def _create_vals(model, vals):
        create_vals = dict(vals)
        for field_name, value in vals.items():
            if model._fields[field_name].type == "many2many":
                create_vals[field_name] = [(6, 0, value)]
        return create_vals

    def _add_db_error(self, result, item, err):
        field_name = None
        if isinstance(err, psycopg2.Error):
            diag = getattr(err, "diag", None)
            field_name = getattr(diag, "column_name", None)
            message = (getattr(diag, "message_primary", None) or str(err)).strip()
        else:
            message = str(err.args[0] if err.args else err).strip()
        _logger.debug("Row %s (%s) failed", item.index, item.xml_id, exc_info=True)
        self._add_row_error(result, item.index, item.xml_id, field_name, message)

    def _register_xml_ids(self, model_name, items):
        """Insert the external IDs of newly created records with one statement per 1000.

        Plain SQL like ``ir.model.data._update_xmlids``, which ``load()`` uses, but without
        adding every name to the registry's ``loaded_xmlids`` set, which would grow with the data.
        """
        rows = [(XML_ID_MODULE, item.xml_id, model_name, item.res_id, False) for item in items]
        columns = ("module", "name", "model", "res_id", "noupdate")
        insert_rows(self.env.cr, self.env.uid, "ir_model_data", columns, rows)
        if rows:
            self.env["ir.model.data"].invalidate_model()

    def _update_records(self, model, items, result):
        """Write only the fields that differ; identical value sets share one ``write``.

        Returns ``(updated, unchanged)`` item lists; ``item.previous_values`` and
        ``item.links_added`` contain what the ledger needs to undo each write.
        """
        if not items:
            return [], []

        records = model.browse([item.res_id for item in items])
        groups = defaultdict(list)
        unchanged = []
        for item in items:
            record = records.browse(item.res_id).with_prefetch(records._prefetch_ids)
            write_vals = self._diff_values(record, item)
            if not write_vals:
                unchanged.append(item)
                continue
            key = json.dumps(write_vals, sort_keys=True, default=str)
            groups[key].append((item, write_vals))

        updated = []
        for group in groups.values():
            write_vals = group[0][1]
            try:
                with self.env.cr.savepoint():
                    model.browse([item.res_id for item, _vals in group]).write(write_vals)
                updated.extend(item for item, _vals in group)
                continue
            except DATA_ERRORS:
                _logger.debug("Grouped write of %s records failed", len(group), exc_info=True)
            updated.extend(self._write_one_by_one(model, group, result))
        return updated, unchanged

    def _write_one_by_one(self, model, group, result):
        written = []
        for item, write_vals in group:
            try:
                with self.env.cr.savepoint():
                    model.browse(item.res_id).write(write_vals)
            except DATA_ERRORS as err:
                self._add_db_error(result, item, err)
                continue
            written.append(item)
        return written

    @staticmethod
    def _diff_values(record, item):
        """Return the write values that change ``record``, and fill the item's undo data."""
        write_vals = {}
        previous = {}
        links = {}
        for field_name, new_value in item.vals.items():
            field = record._fields[field_name]
            current = serialize_current(field, record[field_name])
            if field.type == "many2many":
                added = [res_id for res_id in new_value if res_id not in current]
                if added:
                    write_vals[field_name] = [(4, res_id) for res_id in added]
                    links[field_name] = added
                continue
            if field.type in ("float", "monetary") and current is not False:
                current = field.convert_to_cache(current, record)
            if current != (new_value if new_value is not None else False):
                write_vals[field_name] = new_value
                previous[field_name] = current
        item.previous_values = previous
        item.links_added = links
        return write_vals

    @staticmethod
    def _ledger_entry(model_name, item, operation):
        entry = {
            "model": model_name,
            "res_id": item.res_id,
            "xml_id": item.xml_id,
            "operation": operation,
            "content_hash": item.content_hash,
        }
        if operation == "update":
            entry["previous_values"] = item.previous_values
            entry["links_added"] = item.links_added
            entry["previous_hash"] = item.previous_hash
        return entry

    def _write_ledger(self, phase, batch_no, entries):
        """Insert the ledger lines of a batch with one statement per 1000 lines."""
        rows = []
        for entry in entries:
            undo = [
                json.dumps(entry[key], sort_keys=True) if entry.get(key) is not None else None
                for key in ("previous_values", "links_added")
            ]
            rows.append(
                (
                    self.id,
                    phase,
                    batch_no,
                    entry["model"],
                    entry["res_id"],
                    entry.get("xml_id") or None,
                    entry["operation"],
                    *undo,
                    entry.get("content_hash") or None,
                    entry.get("previous_hash") or None,
                    False,
                )
            )
        insert_rows(self.env.cr, self.env.uid, "netmera_migration_ledger", LEDGER_COLUMNS, rows)
        if rows:
            self.env["netmera.migration.ledger"].invalidate_model()
            self.invalidate_recordset(["ledger_ids"])

    def _write_bindings(self, phase, model_name, items):
        """Upsert the content hash of each item's external ID with one statement per 1000."""
        rows = [
            (item.xml_id, model_name, item.res_id, phase, item.content_hash, self.env.uid)
            for item in items
            if item.content_hash and item.res_id
        ]
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            self.env.cr.execute(
                f"""
                INSERT INTO netmera_migration_binding
                       (xml_id, model, res_id, phase, content_hash, create_uid, write_uid,
                        create_date, write_date)
                SELECT v.xml_id, v.model, v.res_id, v.phase, v.content_hash, v.uid, v.uid,
                       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM (VALUES {placeholders}) AS v(xml_id, model, res_id, phase, content_hash, uid)
                ON CONFLICT (xml_id) DO UPDATE
                   SET model = EXCLUDED.model, res_id = EXCLUDED.res_id, phase = EXCLUDED.phase,
                       content_hash = EXCLUDED.content_hash, write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                """,
                [value for row in chunk for value in row],
            )
        if rows:
            self.env["netmera.migration.binding"].invalidate_model()
