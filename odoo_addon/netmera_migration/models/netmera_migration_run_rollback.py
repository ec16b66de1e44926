"""Rollback of a run from its ledger: the exact pre-run state of every record it touched."""

import json
import logging
from itertools import groupby

from markupsafe import Markup
from psycopg2.errors import LockNotAvailable

from odoo import fields, models
from odoo.exceptions import UserError

from . import rollback_safety
from .constants import IMPORT_CONTEXT, PHASES

_logger = logging.getLogger(__name__)

# Ledger lines undone per step. Each step loads this many lines and their records, so it
# bounds the memory a rollback of millions of records needs.
ROLLBACK_CHUNK_SIZE = 5000


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    def _write_bindings(self, phase, model_name, items):
        """Save each binding as it was before this run, the first time the run writes it."""
        xml_ids = [item.xml_id for item in items if item.content_hash and item.res_id]
        for start in range(0, len(xml_ids), 1000):
            self.env["netmera.migration.binding"].flush_model()
            self.env.cr.execute(
                """
                INSERT INTO netmera_migration_binding_backup
                       (run_id, xml_id, existed, model, res_id, phase, content_hash,
                        field_hashes, binding_create_uid, binding_create_date,
                        binding_write_uid, binding_write_date)
                SELECT %s, v.xml_id, b.id IS NOT NULL, b.model, b.res_id, b.phase,
                       b.content_hash, b.field_hashes, b.create_uid, b.create_date,
                       b.write_uid, b.write_date
                  FROM unnest(%s::varchar[]) AS v(xml_id)
                  LEFT JOIN netmera_migration_binding b ON b.xml_id = v.xml_id
                ON CONFLICT (run_id, xml_id) DO NOTHING
                """,
                (self.id, xml_ids[start : start + 1000]),
            )
        return super()._write_bindings(phase, model_name, items)

    def rollback(self, lease_seconds=None, force=False):
        """Undo everything the run created or changed; a second call does nothing.

        Two checks come first, and a refusal changes nothing:

        * Later runs: while a run that started after this one and is not rolled back exists,
          the rollback is refused, naming those runs (see ``rollback_safety.later_runs``).
          Such a run may have found this run's records and counted them unchanged, which
          leaves no trace in its ledger, so only rolling back newest first is safe.
        * Work of people: records of the run changed after the run wrote them, carrying chatter
          messages the migration did not write, or referenced by records the run did not
          create or change (``rollback_safety.touched_records``). With ``force`` the rollback
          goes ahead anyway and posts what it removed or overwrote on the run's chatter.

        A running run is rolled back only once it is interrupted: no heartbeat from the bridge
        for the lease (``lease_seconds``, else the ``netmera_migration.lease_seconds`` system
        parameter, else 2 minutes). It is marked failed with that reason first.

        Ledger lines are undone by phase in reverse import order, newest first within a phase,
        a stretch of lines of one model and operation at a time. Phases import in dependency
        order (fields, tags and stages before the contacts that use them, contacts before their
        notes), so notes go before contacts and contacts before their tags and fields. Returns
        ``{"deleted": n, "restored": m, "touched": t}`` (records deleted, records whose values
        came back, findings of people's work that ``force`` overrode). When a language the run
        activated stays active because people or contacts use it, ``left_active`` lists one
        line per such language (``"tr_TR left active: used by 1 user(s)"``).

        The run's row is locked first (``_lock_for_rollback``): while a batch of the run is in
        flight the rollback is refused, and a batch that starts later waits for the rollback and
        then finds the run rolled back. A run already rolled back whose ledger still has lines
        that were not undone (a batch that committed just before the rollback took its lock)
        gets those lines undone; otherwise a second call does nothing.

        NOTE: a record changed by ledger lines in two different chunks counts twice in
        ``restored``.
        """
        self.ensure_one()
        self._check_manager()
        self._lock_for_rollback()
        self._stop_interrupted_run(lease_seconds)
        if self.state == "rolled_back":
            return self._undo_late_batches()

        run = self.sudo().with_context(**IMPORT_CONTEXT)
        later = rollback_safety.later_runs(run)
        if later:
            raise UserError(rollback_safety.later_runs_message(run, later))
        findings = rollback_safety.touched_records(run)
        touched = rollback_safety.touched_total(findings)
        if touched and not force:
            raise UserError(rollback_safety.touched_message(run, findings))
        if touched:
            run._note_forced_rollback(findings)

        counts = run._undo_ledger()
        run._restore_saved_bindings()
        counts["touched"] = touched
        self._set_state("rolled_back")
        self.rolled_back_at = fields.Datetime.now()
        _logger.info(
            "Run %s rolled back: %s records deleted, %s restored",
            self.id,
            counts["deleted"],
            counts["restored"],
        )
        return run._note_languages_left_active(counts)

    def _lock_for_rollback(self):
        """Lock the run's row, or refuse at once while another transaction holds it.

        ``import_batch`` holds a ``FOR KEY SHARE`` lock on the row for the whole batch, so
        ``FOR UPDATE NOWAIT`` fails while any batch of the run is in flight. Once this lock is
        held, a batch that starts waits for it. The rollback then updates the row, so that
        batch's lock fails with a serialization error when the rollback commits. Odoo retries
        the batch, which then finds the run rolled back. Heartbeats and progress reports update
        the row without taking a key lock, so they neither wait for batches nor stop them.
        """
        try:
            with self.env.cr.savepoint(flush=False):
                # An expected refusal, not a query error worth logging.
                self.env.cr.execute(
                    "SELECT id FROM netmera_migration_run WHERE id = %s FOR UPDATE NOWAIT",
                    (self.id,),
                    log_exceptions=False,
                )
        except LockNotAvailable:
            raise UserError(
                self.env._(
                    "Run %(name)s is being written right now: migrate has a batch in flight, or "
                    "another rollback of it is under way. Stop migrate first (Ctrl-C in its "
                    "terminal, which lets the batches in flight commit) and roll back once it has "
                    "exited and the lease has passed, or wait for the other rollback to end.",
                    name=self.name,
                )
            ) from None
        # The row may have changed between this request's first read and the lock.
        self.invalidate_recordset()

    def _undo_late_batches(self):
        """Undo ledger lines that a rolled-back run still has; usually there are none.

        A batch that committed after the rollback's transaction began, but before the rollback
        locked the run, is not in the ledger that rollback read. Its lines stay marked as not
        rolled back, and this undoes them.
        """
        run = self.sudo().with_context(**IMPORT_CONTEXT)
        pending = (
            self.env["netmera.migration.ledger"]
            .sudo()
            .search_count([("run_id", "=", self.id), ("rolled_back", "=", False)])
        )
        if not pending:
            return {"deleted": 0, "restored": 0, "touched": 0}
        counts = run._undo_ledger()
        counts["touched"] = 0
        run._restore_saved_bindings()
        _logger.warning(
            "Run %s was rolled back but kept %s ledger line(s) of a late batch: %s records "
            "deleted, %s restored",
            self.id,
            pending,
            counts["deleted"],
            counts["restored"],
        )
        return run._note_languages_left_active(counts)

    def _undo_ledger(self):
        """Undo the ledger phase by phase, in chunks, so memory does not grow with the run."""
        Ledger = self.env["netmera.migration.ledger"]
        counts = {"deleted": 0, "restored": 0, "left_active": []}
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
                counts["restored"] += self._undo_updates(model_name, pending, counts)

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

    def _undo_updates(self, model_name, entries, counts):
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
            for field_name, ids in json.loads(entry.links_removed or "{}").items():
                if field_name in model._fields:
                    commands = vals.setdefault(field_name, [])
                    commands.extend((4, res_id) for res_id in ids)
            if entry.xml_id:
                hashes[entry.xml_id] = (entry.res_id, entry.previous_hash)

        alive = set(model.browse(list(restore)).exists().ids)
        if model_name == "res.lang":
            alive -= self._languages_in_use(restore, alive, counts["left_active"])
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

    def _languages_in_use(self, restore, alive, notes):
        """Return the ids of languages to deactivate that users or contacts use; note each.

        Odoo refuses to deactivate a language that a user or an active contact has chosen, and
        people may pick a language the run activated. Such a language stays active, so that the
        rest of the rollback goes ahead.
        """
        ids = [res_id for res_id in alive if restore[res_id].get("active") is False]
        if not ids:
            return set()
        Users = self.env["res.users"].with_context(active_test=False)
        Partner = self.env["res.partner"]
        kept = set()
        for lang in self.env["res.lang"].browse(ids):
            users = Users.search_count([("lang", "=", lang.code)])
            contacts = Partner.search_count([("lang", "=", lang.code), ("user_ids", "=", False)])
            if not users and not contacts:
                continue
            uses = []
            if users:
                uses.append(self.env._("%(count)s user(s)", count=users))
            if contacts:
                uses.append(self.env._("%(count)s contact(s)", count=contacts))
            notes.append(
                self.env._(
                    "%(code)s left active: used by %(uses)s",
                    code=lang.code,
                    uses=self.env._(" and ").join(uses),
                )
            )
            kept.add(lang.id)
        return kept

    def _note_languages_left_active(self, counts):
        """Log and post on the run the languages its rollback left active; return the counts.

        ``left_active`` stays in the counts only when it names a language.
        """
        notes = counts.pop("left_active")
        if not notes:
            return counts
        counts["left_active"] = notes
        _logger.info("Run %s: %s", self.id, "; ".join(notes))
        self.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._(
                    "The rollback left these languages active, because people or contacts use "
                    "them. Deactivate them in Settings once nobody does."
                ),
                Markup("").join(Markup("<li>%s</li>") % note for note in notes),
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        return counts

    def _drop_bindings(self, model_name, xml_ids):
        if not xml_ids:
            return
        self.env.cr.execute(
            "DELETE FROM netmera_migration_binding WHERE model = %s AND xml_id IN %s",
            (model_name, tuple(xml_ids)),
        )
        self.env["netmera.migration.binding"].invalidate_model()

    def _restore_bindings(self, model_name, hashes):
        """Put back the hash each external ID had before the run, or drop a binding it added.

        The field state is cleared, so the next run writes such a record in full. The run's saved
        bindings, restored after this, put the exact state back.
        """
        dropped = [xml_id for xml_id, (_res_id, old_hash) in hashes.items() if not old_hash]
        self._drop_bindings(model_name, dropped)
        for xml_id, (res_id, old_hash) in hashes.items():
            if old_hash:
                self.env.cr.execute(
                    "UPDATE netmera_migration_binding SET content_hash = %s, field_hashes = NULL "
                    "WHERE xml_id = %s AND model = %s AND res_id = %s",
                    (old_hash, xml_id, model_name, res_id),
                )
        if hashes:
            self.env["netmera.migration.binding"].invalidate_model()

    def _note_forced_rollback(self, findings):
        """Log and post on the run what a forced rollback removes or overwrites."""
        lines = [
            example
            for finding in findings.values()
            for example in finding["examples"][: rollback_safety.EXAMPLES]
        ]
        summary = self.env._(
            "Forced rollback: %(changed)s record(s) changed after the run, %(messages)s record(s) "
            "with chatter messages not written by the migration, %(referenced)s reference(s) "
            "from other records to records of the run.",
            changed=findings["changed"]["count"],
            messages=findings["messages"]["count"],
            referenced=findings["referenced"]["count"],
        )
        _logger.warning("Run %s: %s %s", self.id, summary, "; ".join(lines))
        self.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (summary, Markup("").join(Markup("<li>%s</li>") % line for line in lines)),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    def _restore_saved_bindings(self):
        """Put every binding the run wrote back as it was before the run, then drop the copies."""
        Binding = self.env["netmera.migration.binding"]
        Binding.flush_model()
        cr = self.env.cr
        cr.execute(
            """
            DELETE FROM netmera_migration_binding b
             USING netmera_migration_binding_backup k
             WHERE k.run_id = %s AND NOT k.existed AND b.xml_id = k.xml_id
            """,
            (self.id,),
        )
        cr.execute(
            """
            INSERT INTO netmera_migration_binding
                   (xml_id, model, res_id, phase, content_hash, field_hashes, create_uid,
                    create_date, write_uid, write_date)
            SELECT k.xml_id, k.model, k.res_id, k.phase, k.content_hash, k.field_hashes,
                   k.binding_create_uid, k.binding_create_date, k.binding_write_uid,
                   k.binding_write_date
              FROM netmera_migration_binding_backup k
             WHERE k.run_id = %s AND k.existed
            ON CONFLICT (xml_id) DO UPDATE
               SET model = EXCLUDED.model, res_id = EXCLUDED.res_id, phase = EXCLUDED.phase,
                   content_hash = EXCLUDED.content_hash, field_hashes = EXCLUDED.field_hashes,
                   create_uid = EXCLUDED.create_uid,
                   create_date = EXCLUDED.create_date, write_uid = EXCLUDED.write_uid,
                   write_date = EXCLUDED.write_date
            """,
            (self.id,),
        )
        cr.execute("DELETE FROM netmera_migration_binding_backup WHERE run_id = %s", (self.id,))
        Binding.invalidate_model()
        self.env["netmera.migration.binding.backup"].invalidate_model()
