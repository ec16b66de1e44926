"""Rollback of a run from its ledger: the exact pre-run state of every record it touched."""

import json
import logging
from itertools import groupby

from odoo import fields, models

from .constants import IMPORT_CONTEXT, PHASES

_logger = logging.getLogger(__name__)

# Ledger lines undone per step. Each step loads this many lines and their records, so it
# bounds the memory a rollback of millions of records needs.
ROLLBACK_CHUNK_SIZE = 5000


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    def rollback(self, lease_seconds=None):
        """Undo everything the run created or changed; a second call does nothing.

        A running run is rolled back only once it is interrupted: no heartbeat from the bridge
        for the lease (``lease_seconds``, else the ``netmera_migration.lease_seconds`` system
        parameter, else 2 minutes). It is marked failed with that reason first.

        Ledger lines are undone by phase in reverse import order, newest first within a phase,
        a stretch of lines of one model and operation at a time. Phases import in dependency
        order (fields, tags and stages before the contacts that use them, contacts before their
        notes), so notes go before contacts and contacts before their tags and fields. Returns
        ``{"deleted": n, "restored": m}`` (records deleted, records whose values came back).

        NOTE: a record changed by ledger lines in two different chunks counts twice in
        ``restored``.
        """
        self.ensure_one()
        self._check_manager()
        self._stop_interrupted_run(lease_seconds)
        if self.state == "rolled_back":
            return {"deleted": 0, "restored": 0}

        run = self.sudo().with_context(**IMPORT_CONTEXT)
        counts = run._undo_ledger()
        self._set_state("rolled_back")
        self.rolled_back_at = fields.Datetime.now()
        _logger.info(
            "Run %s rolled back: %s records deleted, %s restored",
            self.id,
            counts["deleted"],
            counts["restored"],
        )
        return counts

    def _undo_ledger(self):
        """Undo the ledger phase by phase, in chunks, so memory does not grow with the run."""
        Ledger = self.env["netmera.migration.ledger"]
        counts = {"deleted": 0, "restored": 0}
        for phase in reversed(PHASES):
            while True:
                entries = Ledger.search(
                    [("run_id", "=", self.id), ("phase", "=", phase), ("rolled_back", "=", False)],
                    order="id desc",
                    limit=ROLLBACK_CHUNK_SIZE,
                )
                if not entries:
                    break
                self._undo_entries(entries, counts)
                entries.write({"rolled_back": True})
                self.env.flush_all()
                self.env.invalidate_all()
        return counts

    def _undo_entries(self, entries, counts):
        created = self._created_by_run(entries)
        for (model_name, operation), group in groupby(
            entries, key=lambda entry: (entry.model, entry.operation)
        ):
            group = list(group)
            if model_name not in self.env:
                _logger.warning(
                    "Run %s: model %s is gone, %s ledger lines skipped",
                    self.id,
                    model_name,
                    len(group),
                )
                continue
            if operation == "create":
                counts["deleted"] += self._undo_creates(model_name, group)
            else:
                pending = [entry for entry in group if (entry.model, entry.res_id) not in created]
                counts["restored"] += self._undo_updates(model_name, pending)

    def _created_by_run(self, entries):
        """Return the (model, id) pairs among the updated records that this run also created.

        Their previous values need no restoring, because the records are deleted anyway.
        """
        updated_ids = list({entry.res_id for entry in entries if entry.operation == "update"})
        if not updated_ids:
            return set()
        self.env.cr.execute(
            """
            SELECT model, res_id FROM netmera_migration_ledger
             WHERE run_id = %s AND operation = 'create' AND res_id = ANY(%s)
            """,
            (self.id, updated_ids),
        )
        return set(self.env.cr.fetchall())

    def _undo_creates(self, model_name, entries):
        records = self.env[model_name].browse([entry.res_id for entry in entries]).exists()
        if model_name == "ir.model.fields":
            # Only fields the run created are in its ledger; never drop a field of a module.
            records = records.filtered(lambda field: field.state == "manual")
        count = len(records)
        records.unlink()
        self._drop_bindings(model_name, [entry.xml_id for entry in entries if entry.xml_id])
        return count

    def _undo_updates(self, model_name, entries):
        """Write back the previous values and unlink the added links, grouped by value set."""
        model = self.env[model_name]
        restore = {}
        hashes = {}
        # Entries come newest first, and the oldest entry of a record contains its pre-run
        # values, so later iterations overwrite earlier ones.
        for entry in entries:
            vals = restore.setdefault(entry.res_id, {})
            for field_name, value in json.loads(entry.previous_values or "{}").items():
                if field_name in model._fields:
                    vals[field_name] = value
            for field_name, ids in json.loads(entry.links_added or "{}").items():
                if field_name in model._fields:
                    commands = vals.setdefault(field_name, [])
                    commands.extend((3, res_id) for res_id in ids)
            if entry.xml_id:
                hashes[entry.xml_id] = (entry.res_id, entry.previous_hash)

        alive = set(model.browse(list(restore)).exists().ids)
        groups = {}
        for res_id, vals in restore.items():
            if res_id not in alive or not vals:
                continue
            key = json.dumps(vals, sort_keys=True, default=str)
            groups.setdefault(key, (vals, []))[1].append(res_id)
        for vals, ids in groups.values():
            model.browse(ids).write(vals)

        self._restore_bindings(model_name, hashes)
        return sum(len(ids) for _vals, ids in groups.values())

    def _drop_bindings(self, model_name, xml_ids):
        if not xml_ids:
            return
        self.env.cr.execute(
            "DELETE FROM netmera_migration_binding WHERE model = %s AND xml_id IN %s",
            (model_name, tuple(xml_ids)),
        )
        self.env["netmera.migration.binding"].invalidate_model()

    def _restore_bindings(self, model_name, hashes):
        """Put back the hash each external ID had before the run, or drop a binding it added."""
        dropped = [xml_id for xml_id, (_res_id, old_hash) in hashes.items() if not old_hash]
        self._drop_bindings(model_name, dropped)
        for xml_id, (res_id, old_hash) in hashes.items():
            if old_hash:
                self.env.cr.execute(
                    "UPDATE netmera_migration_binding SET content_hash = %s "
                    "WHERE xml_id = %s AND model = %s AND res_id = %s",
                    (old_hash, xml_id, model_name, res_id),
                )
        if hashes:
            self.env["netmera.migration.binding"].invalidate_model()
