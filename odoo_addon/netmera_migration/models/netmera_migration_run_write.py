"""Writing side of ``import_batch``: batch create, grouped writes, external IDs, ledger, bindings.

These methods extend ``netmera.migration.run``; ``netmera_migration_run_import`` explains how a
phase handler combines them.
"""

import json
import logging
from collections import defaultdict

import psycopg2

from odoo import models
from odoo.exceptions import UserError

from .constants import XML_ID_MODULE
from .import_field_state import link_changes, load_last_written, planned_state
from .import_values import serialize_current

_logger = logging.getLogger(__name__)

# Errors an ORM create or write raises for bad data. AccessError, MissingError and
# ValidationError derive from UserError.
DATA_ERRORS = (psycopg2.Error, UserError, ValueError, TypeError)

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
    "links_removed",
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


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    def _create_records(self, model, items, result):
        """Create the items with one ``create(vals_list)``; on failure, bisect to the bad rows."""
        if not items:
            return []

        try:
            with self.env.cr.savepoint():
                records = model.create([self._create_vals(model, item.vals) for item in items])
                self._keep_own_addresses(records, items)
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

        When the binding knows what the migration last wrote (``import_field_state``), only
        fields whose planned value changed since are compared and written.

        Returns ``(updated, unchanged)`` item lists; ``item.previous_values`` and
        ``item.links_added`` contain what the ledger needs to undo each write.
        """
        if not items:
            return [], []

        records = model.browse([item.res_id for item in items])
        load_last_written(self.env.cr, model._name, items)
        groups = defaultdict(list)
        unchanged = []
        for item in items:
            record = records.browse(item.res_id).with_prefetch(records._prefetch_ids)
            if item.recheck_address:
                write_vals = self._address_repair(record, item)
            else:
                write_vals = self._diff_values(record, item, item.last_written)
                if item.last_written is not None and "parent_id" not in write_vals:
                    # Without a parent change Odoo syncs no address, so only the address fields
                    # written now are kept against its sync. A person's edit of the others stays.
                    item.own_address = {
                        name: value
                        for name, value in (item.own_address or {}).items()
                        if name in write_vals
                    }
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
                    group_records = model.browse([item.res_id for item, _vals in group])
                    group_records.write(write_vals)
                    self._keep_own_addresses(group_records, [item for item, _vals in group])
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
                    record = model.browse(item.res_id)
                    record.write(write_vals)
                    self._keep_own_addresses(record, [item])
            except DATA_ERRORS as err:
                self._add_db_error(result, item, err)
                continue
            written.append(item)
        return written

    @staticmethod
    def _keep_own_addresses(records, items):
        """Undo Odoo's copy of the parent's address onto child contacts that have their own.

        Runs inside the savepoint of the create or write, so a failure here fails the row the
        same way. ``records`` and ``items`` are in the same order.
        """
        for record, item in zip(records, items):
            if item.own_address:
                record._netmera_keep_own_address(item.own_address)

    @staticmethod
    def _address_repair(record, item):
        """Write values for a row whose hash is unchanged: only address fields Odoo synced over.

        See ``res.partner._netmera_parent_copies``; the other fields of the row are not
        compared, so a person's edits of them stay until the row itself changes.
        """
        item.links_added = {}
        item.links_removed = {}
        write_vals = record._netmera_parent_copies(item.own_address) if item.own_address else {}
        current = record._netmera_address() if write_vals else {}
        item.previous_values = {name: current[name] for name in write_vals}
        return write_vals

    @staticmethod
    def _diff_values(record, item, last_written=None):
        """Return the write values that change ``record``, and fill the item's undo data.

        ``last_written`` is the binding's field state (see ``import_field_state``). With it, a
        field whose planned value is the one the migration last wrote is skipped, so a
        person's edit of it stays, and a many2many links the newly planned external IDs and
        unlinks only those planned last time and no longer.

        Without it (a binding of an older version), every field is compared, and a many2many
        link is removed when the new row no longer has it and it points to a record the
        migration wrote (a bound tag or segment). Links to records people made stay.
        """
        write_vals = {}
        previous = {}
        links = {}
        removed_links = {}
        planned = planned_state(record, item) if last_written is not None else {}
        for field_name, new_value in item.vals.items():
            field = record._fields[field_name]
            if last_written is not None and last_written.get(field_name) == planned[field_name]:
                continue
            current = serialize_current(field, record[field_name])
            if field.type == "many2many":
                if isinstance(planned.get(field_name), list):
                    before = last_written.get(field_name)
                    added, removed = link_changes(
                        record.env,
                        field,
                        planned[field_name],
                        before if isinstance(before, list) else [],
                        current,
                    )
                else:
                    added = [res_id for res_id in new_value if res_id not in current]
                    removed = _bound_ids(
                        record.env,
                        field.comodel_name,
                        [res_id for res_id in current if res_id not in new_value],
                    )
                commands = [(4, res_id) for res_id in added] + [(3, res_id) for res_id in removed]
                if commands:
                    write_vals[field_name] = commands
                if added:
                    links[field_name] = added
                if removed:
                    removed_links[field_name] = removed
                continue
            if field.type in ("float", "monetary") and current is not False:
                current = field.convert_to_cache(current, record)
            if current != (new_value if new_value is not None else False):
                write_vals[field_name] = new_value
                previous[field_name] = current
        item.previous_values = previous
        item.links_added = links
        item.links_removed = removed_links
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
            entry["links_removed"] = item.links_removed
            entry["previous_hash"] = item.previous_hash
        return entry

    def _write_ledger(self, phase, batch_no, entries):
        """Insert the ledger lines of a batch with one statement per 1000 lines."""
        rows = []
        for entry in entries:
            undo = [
                json.dumps(entry[key], sort_keys=True) if entry.get(key) is not None else None
                for key in ("previous_values", "links_added", "links_removed")
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
        model = self.env[model_name]
        rows = [
            (
                item.xml_id,
                model_name,
                item.res_id,
                phase,
                item.content_hash,
                _field_state_json(model, item),
                self.env.uid,
            )
            for item in items
            if item.content_hash and item.res_id
        ]
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            self.env.cr.execute(
                f"""
                INSERT INTO netmera_migration_binding
                       (xml_id, model, res_id, phase, content_hash, field_hashes, create_uid,
                        write_uid, create_date, write_date)
                SELECT v.xml_id, v.model, v.res_id, v.phase, v.content_hash, v.field_hashes,
                       v.uid, v.uid, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                  FROM (VALUES {placeholders})
                       AS v(xml_id, model, res_id, phase, content_hash, field_hashes, uid)
                ON CONFLICT (xml_id) DO UPDATE
                   SET model = EXCLUDED.model, res_id = EXCLUDED.res_id, phase = EXCLUDED.phase,
                       content_hash = EXCLUDED.content_hash,
                       field_hashes = EXCLUDED.field_hashes, write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                """,
                [value for row in chunk for value in row],
            )
        if rows:
            self.env["netmera.migration.binding"].invalidate_model()


def _field_state_json(model, item):
    """Return the field state to bind for ``item``, or None when it has no ORM values.

    The state is the whole row's: a field skipped as unchanged has the planned value that
    the migration wrote last time, and every other field was just written or found equal.
    """
    vals = getattr(item, "vals", None)
    if not isinstance(vals, dict):
        return None
    return json.dumps(planned_state(model, item), sort_keys=True, separators=(",", ":"))


def _bound_ids(env, model_name, ids):
    """Return the ids among ``ids`` of records the migration wrote, in the order given."""
    if not ids:
        return []
    env["netmera.migration.binding"].flush_model()
    env.cr.execute(
        "SELECT res_id FROM netmera_migration_binding WHERE model = %s AND res_id = ANY(%s)",
        (model_name, list(ids)),
    )
    bound = {res_id for (res_id,) in env.cr.fetchall()}
    return [res_id for res_id in ids if res_id in bound]
