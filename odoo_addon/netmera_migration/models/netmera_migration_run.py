import hashlib
import json
import logging
import math
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .constants import MANAGER_GROUP, PHASE_SELECTION, PHASES

_logger = logging.getLogger(__name__)

# Legal state changes. A run may go back to draft only while no record has moved, that is
# when its mapping changes after confirmation.
STATE_TRANSITIONS = {
    "draft": {"mapping_confirmed", "rolled_back"},
    "mapping_confirmed": {"authorised", "draft", "rolled_back"},
    "authorised": {"running", "draft", "rolled_back"},
    "running": {"sampled", "done", "failed"},
    "sampled": {"running", "done", "rolled_back"},
    "failed": {"running", "rolled_back"},
    "done": {"rolled_back"},
    "rolled_back": set(),
}

# States in which the mapping may still change; any change sends the run back to draft.
MAPPING_EDITABLE_STATES = ("draft", "mapping_confirmed", "authorised")

# The keys of a mapping.json entry that the bridge's schema keeps, with the keys kept inside each
# nested object. The bridge drops any other key before it hashes, so the hash here does too.
MAPPING_ENTRY_KEYS = {
    "source": ("kind", "name", "meaning", "files", "dataType", "isArray", "label"),
    "target": ("model", "field", "type", "action", "selection"),
    "confidence": None,
    "reason": None,
    "review": None,
    "options": ("arrayHandling", "survey", "consolidationThreshold", "encoding"),
}
# Settings with the defaults the bridge fills in for a missing key.
MAPPING_SETTINGS_DEFAULTS = {"eventConsolidationThreshold": 10, "arraySeparator": ";"}

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


def _js_number(value):
    """Format a number as JavaScript's JSON.stringify does (shortest round-trip digits)."""
    try:
        number = float(value)
    except OverflowError:
        return "null"
    if math.isnan(number) or math.isinf(number):
        return "null"
    if number == 0:
        return "0"

    sign = "-" if number < 0 else ""
    mantissa, _sep, exponent = repr(abs(number)).partition("e")
    whole, _sep, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")

    # With the value as 0.DIGITS times 10 to the power POINT, these are the cases of
    # ECMAScript's Number::toString.
    count = len(digits)
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        text = digits[0] + ("." + digits[1:] if count > 1 else "")
        text += "e" + ("+" if power >= 0 else "-") + str(abs(power))
    return sign + text


def _js_string(value):
    text = json.dumps(value, ensure_ascii=False)
    # JSON.stringify writes a lone surrogate as an escape; UTF-8 cannot encode it as a character.
    return _LONE_SURROGATE.sub(lambda match: "\\u%04x" % ord(match.group()), text)


def _js_key_order(keys):
    """Order keys as a sorted JavaScript object lists them: array indexes first, by value."""
    indexes = sorted(
        (key for key in keys if _ARRAY_INDEX.match(key) and int(key) < 2**32 - 1), key=int
    )
    others = sorted(
        (key for key in keys if key not in indexes),
        key=lambda key: key.encode("utf-16-be", "surrogatepass"),
    )
    return indexes + others


def canonical_json(value):
    """JSON text with keys sorted at every level, byte for byte as the bridge's canonicalJson."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return _js_number(value)
    if isinstance(value, str):
        return _js_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (_js_string(key) + ":" + canonical_json(value[key]) for key in _js_key_order(value))
        return "{" + ",".join(items) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _known_keys(value, keys):
    if not isinstance(value, dict):
        return value
    return {key: value[key] for key in keys if key in value}


def _known_entry_keys(entry):
    if not isinstance(entry, dict):
        return entry
    kept = {}
    for key, nested in MAPPING_ENTRY_KEYS.items():
        if key in entry:
            kept[key] = _known_keys(entry[key], nested) if nested else entry[key]
    return kept


def mapping_content_hash(mapping):
    """Return the bridge's mapping hash of a parsed mapping.json.

    It is the sha256 (hex) of the canonical JSON of the entries and settings only, so recording
    a confirmation does not change it, with the keys and defaults the bridge's schema applies.
    """
    entries = mapping.get("entries")
    if isinstance(entries, list):
        entries = [_known_entry_keys(entry) for entry in entries]
    settings = mapping.get("settings")
    if isinstance(settings, dict):
        settings = {
            key: settings[key] if key in settings else default
            for key, default in MAPPING_SETTINGS_DEFAULTS.items()
        }
    content = {"entries": entries, "settings": settings}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


class NetmeraMigrationRun(models.Model):
    _name = "netmera.migration.run"
    _description = "Netmera Migration Run"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, tracking=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("mapping_confirmed", "Mapping Confirmed"),
            ("authorised", "Authorised"),
            ("running", "Running"),
            ("sampled", "Sampled"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("rolled_back", "Rolled Back"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    snapshot_hash = fields.Char(help="sha256 of the snapshot manifest the run reads.")
    mapping_json = fields.Text(string="Mapping (JSON)")
    mapping_hash = fields.Char(help="Hash of the mapping as confirmed.")
    mapping_confirmed_by = fields.Char(readonly=True, copy=False)
    mapping_confirmed_at = fields.Datetime(readonly=True, copy=False)
    gdpr_agreement_ref = fields.Char(
        string="Data Processing Agreement",
        readonly=True,
        copy=False,
        help="Reference of the data processing agreement that covers moving this personal data.",
    )
    gdpr_confirmed_by_id = fields.Many2one(
        "res.users", string="GDPR Authorised By", readonly=True, copy=False
    )
    gdpr_confirmed_at = fields.Datetime(string="GDPR Authorised At", readonly=True, copy=False)
    is_sample = fields.Boolean(string="Sample Run")
    sample_size = fields.Integer()
    phase_ids = fields.One2many("netmera.migration.phase", "run_id", string="Phases")
    reconciliation_ids = fields.One2many(
        "netmera.migration.reconciliation", "run_id", string="Reconciliation"
    )
    ledger_ids = fields.One2many("netmera.migration.ledger", "run_id", string="Ledger")
    ledger_count = fields.Integer(compute="_compute_ledger_count")
    checkpoint_ids = fields.One2many("netmera.migration.checkpoint", "run_id")
    owner_queue_ids = fields.One2many("netmera.owner.queue", "run_id", string="Owner Queue")
    pending_owner_total = fields.Integer(
        string="Pending Owners", compute="_compute_pending_owner_total"
    )
    last_error = fields.Text(string="Last Error", readonly=True, copy=False)
    progress_phase = fields.Selection(PHASE_SELECTION, readonly=True, copy=False)
    progress_done = fields.Integer(readonly=True, copy=False)
    progress_total = fields.Integer(readonly=True, copy=False)
    progress_percent = fields.Float(compute="_compute_progress_percent")
    started_at = fields.Datetime(readonly=True, copy=False)
    finished_at = fields.Datetime(readonly=True, copy=False)
    rolled_back_at = fields.Datetime(readonly=True, copy=False)

    def _compute_ledger_count(self):
        counts = dict(
            self.env["netmera.migration.ledger"]._read_group(
                [("run_id", "in", self.ids)], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.ledger_count = counts.get(run, 0)

    def _compute_pending_owner_total(self):
        counts = dict(
            self.env["netmera.owner.queue"]._read_group(
                [("run_id", "in", self.ids), ("state", "=", "pending")], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.pending_owner_total = counts.get(run, 0)

    @api.depends("progress_done", "progress_total")
    def _compute_progress_percent(self):
        for run in self:
            total = run.progress_total
            run.progress_percent = 100.0 * run.progress_done / total if total else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # The bridge creates runs whose mapping a person already confirmed on the command
            # line; a full run copied from a sample also carries its GDPR authorisation.
            allowed = ["draft"]
            if vals.get("mapping_confirmed_at"):
                allowed.append("mapping_confirmed")
                if vals.get("gdpr_confirmed_at") and vals.get("gdpr_agreement_ref"):
                    allowed.append("authorised")
            default = "mapping_confirmed" if vals.get("mapping_confirmed_at") else "draft"
            state = vals.setdefault("state", default)
            if state not in allowed:
                raise UserError(
                    _(
                        "A new run cannot start in state %(state)s; it starts in one of "
                        "%(allowed)s, and its actions move it further.",
                        state=state,
                        allowed=", ".join(allowed),
                    )
                )
        runs = super().create(vals_list)
        runs._ensure_phase_lines()
        return runs

    def write(self, vals):
        if "mapping_json" in vals or "mapping_hash" in vals:
            self._reset_changed_mapping(vals)
        if "state" in vals:
            # Every state change, from the actions or from a plain write over RPC, must be legal.
            self._check_transition(vals["state"])
        return super().write(vals)

    def _reset_changed_mapping(self, vals):
        """Send runs whose mapping changes back to draft, and reject changes once data moved."""
        for run in self:
            changed = any(
                field in vals and (vals[field] or False) != (run[field] or False)
                for field in ("mapping_json", "mapping_hash")
            )
            if not changed or run.state == "draft":
                continue
            if run.state not in MAPPING_EDITABLE_STATES:
                raise UserError(
                    _(
                        "The mapping of run %(name)s cannot change in state %(state)s; "
                        "start a new run instead.",
                        name=run.name,
                        state=run.state,
                    )
                )
            vals.update(
                state="draft",
                mapping_confirmed_by=False,
                mapping_confirmed_at=False,
                gdpr_agreement_ref=False,
                gdpr_confirmed_by_id=False,
                gdpr_confirmed_at=False,
            )

    def _ensure_phase_lines(self):
        for run in self:
            present = set(run.phase_ids.mapped("phase"))
            missing = [phase for phase in PHASES if phase not in present]
            self.env["netmera.migration.phase"].create(
                [{"run_id": run.id, "phase": phase} for phase in missing]
            )

    def action_confirm_mapping(self):
        """Record who confirmed the mapping, so that records may move.

        The confirmation is written into the mapping JSON too, in the form `netmera-odoo map
        --confirm` writes, because the bridge checks the mapping it receives, not the run.
        """
        self._check_manager()
        for run in self:
            if not run.mapping_json:
                raise UserError(_("Run %(name)s has no mapping to confirm.", name=run.name))
            run._check_transition("mapping_confirmed", allow_same=False)
            try:
                mapping = json.loads(run.mapping_json)
            except ValueError as err:
                raise UserError(
                    _(
                        "The mapping of run %(name)s is not valid JSON: %(error)s",
                        name=run.name,
                        error=err,
                    )
                ) from err
            if not isinstance(mapping, dict):
                raise UserError(
                    _("The mapping of run %(name)s is not a JSON object.", name=run.name)
                )

            now = fields.Datetime.now()
            values = {"mapping_hash": mapping_content_hash(mapping)}
            # The confirmation names the snapshot it holds for. Without a snapshot hash it is not
            # written, and the bridge rejects the mapping as unconfirmed until one is.
            snapshot_hash = run.snapshot_hash or mapping.get("snapshotHash")
            if snapshot_hash:
                mapping["snapshotHash"] = snapshot_hash
                mapping["confirmation"] = {
                    "by": self.env.user.name,
                    "at": now.isoformat(timespec="milliseconds") + "Z",
                    "mappingHash": values["mapping_hash"],
                    "snapshotHash": snapshot_hash,
                }
                values["mapping_json"] = json.dumps(mapping, indent=2, ensure_ascii=False) + "\n"
            # Written while the run is still in draft: a new mapping on a confirmed run
            # would send it back to draft.
            run.write(values)
            run._set_state("mapping_confirmed")
            run.write({"mapping_confirmed_by": self.env.user.name, "mapping_confirmed_at": now})
        return True

    def action_open_gdpr_wizard(self):
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": _("Confirm GDPR Authorisation"),
            "res_model": "netmera.gdpr.authorise.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_run_id": self.id},
        }

    def action_confirm_gdpr(self, agreement_ref, authorised_by=None):
        """Record the GDPR authorisation under the given data processing agreement reference.

        ``authorised_by`` names the person who gave it when someone else records it (the
        bridge's ``authorise --by``); it goes into the chatter in the same transaction, so the
        run is never authorised without the name.
        """
        self._check_manager()
        reference = (agreement_ref or "").strip()
        if not reference:
            raise UserError(
                _("Enter the reference of the data processing agreement to authorise the run.")
            )

        for run in self:
            run._check_authorisable()
            run._set_state("authorised")
            run.write(
                {
                    "gdpr_agreement_ref": reference,
                    "gdpr_confirmed_by_id": self.env.user.id,
                    "gdpr_confirmed_at": fields.Datetime.now(),
                }
            )
            if authorised_by:
                run.message_post(
                    body=_(
                        "GDPR authorisation given by %(by)s under agreement %(agreement)s, "
                        "recorded with netmera-odoo authorise.",
                        by=authorised_by,
                        agreement=reference,
                    )
                )
        return True

    def _check_authorisable(self):
        """Raise a UserError saying what to do first when the run cannot be authorised now.

        The authorisation covers one snapshot under one confirmed mapping, so a run needs both
        first. A run made with New has neither.
        """
        self.ensure_one()
        if self.state == "mapping_confirmed":
            return
        if self.state == "draft" and not self.mapping_json and not self.snapshot_hash:
            raise UserError(
                _(
                    "Run %(name)s has no snapshot or mapping yet, so there is nothing to "
                    "authorise. Click Upload Snapshot on the run form to add the snapshot zip and "
                    "its mapping, then Confirm Mapping; or start a bridge job on this run with "
                    "the snapshot and the confirmed mapping (netmera-odoo migrate --run "
                    "%(id)s --mapping FILE, or POST /runs/%(id)s/sample), which attaches them. "
                    "Then authorise the run.",
                    name=self.name,
                    id=self.id,
                )
            )
        if self.state == "draft":
            raise UserError(
                _(
                    "The mapping of run %(name)s is not confirmed yet: click Confirm Mapping on "
                    "the run form (or upload the mapping confirmed with netmera-odoo map "
                    "--confirm), then authorise the run.",
                    name=self.name,
                )
            )
        if self.state == "authorised":
            raise UserError(
                _(
                    "Run %(name)s is already authorised under agreement %(agreement)s; nothing "
                    "changed.",
                    name=self.name,
                    agreement=self.gdpr_agreement_ref,
                )
            )
        raise UserError(
            _(
                "Run %(name)s is %(state)s: a run is authorised before its first record moves. "
                "Start a new run for another transfer.",
                name=self.name,
                state=dict(self._fields["state"].selection)[self.state],
            )
        )

    @api.model
    def addon_version(self):
        """Return the addon version installed in this database, for the bridge's preflight.

        It is the version of the last install or upgrade (-u netmera_migration), so files
        replaced without an upgrade still show the older version whose schema the database has.
        """
        self._check_manager()
        module = (
            self.env["ir.module.module"]
            .sudo()
            .search([("name", "=", "netmera_migration")], limit=1)
        )
        return module.latest_version or ""

    def action_start(self):
        """Move the run to running; the bridge calls this before its first batch and to resume."""
        self._check_manager()
        for run in self:
            if not run.mapping_confirmed_at or not run.gdpr_confirmed_at:
                raise UserError(
                    _(
                        "Run %(name)s needs a confirmed mapping and a GDPR authorisation "
                        "before it starts.",
                        name=run.name,
                    )
                )
            run._set_state("running")
            run.write({"started_at": run.started_at or fields.Datetime.now(), "last_error": False})
        _logger.info("Netmera migration runs %s started", self.ids)
        return True

    def action_done(self, reconciliation=None):
        """Close the run; a sample run stops in sampled, ready to be kept or rolled back."""
        self._check_manager()
        for run in self:
            if run.state == "running" and run.is_sample:
                run._set_state("sampled")
            else:
                run._set_state("done")
            run.finished_at = fields.Datetime.now()
            if reconciliation:
                run._store_reconciliation(reconciliation)
        _logger.info("Netmera migration runs %s finished", self.ids)
        return True

    def action_fail(self, message=None):
        """Mark the run failed with the bridge's error message; it can resume or roll back."""
        self._check_manager()
        for run in self:
            run._set_state("failed")
            run.write(
                {"last_error": message or _("Unknown error"), "finished_at": fields.Datetime.now()}
            )
        _logger.warning("Netmera migration runs %s failed: %s", self.ids, message)
        return True

    def action_rollback(self):
        """Button wrapper of rollback() that reloads the form."""
        self.rollback()
        return True

    def action_view_ledger(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Ledger"),
            "res_model": "netmera.migration.ledger",
            # Odoo 17 names this view type "tree".
            "view_mode": "list,form",
            "domain": [("run_id", "=", self.id)],
            "context": {"default_run_id": self.id},
        }

    def report_progress(self, phase, done, total):
        """Store the bridge's progress counters for the form's progress bar."""
        self.ensure_one()
        self._check_manager()
        if phase not in PHASES:
            raise UserError(_("Unknown phase %(phase)s.", phase=phase))

        self.sudo().write(
            {"progress_phase": phase, "progress_done": int(done), "progress_total": int(total)}
        )
        return True

    def get_committed_batches(self, phase):
        """Return the batch numbers of the phase that already committed, in ascending order."""
        self.ensure_one()
        self._check_manager()
        checkpoints = (
            self.env["netmera.migration.checkpoint"]
            .sudo()
            .search([("run_id", "=", self.id), ("phase", "=", phase)], order="batch_no")
        )
        return checkpoints.mapped("batch_no")

    def get_reconciliation(self):
        """Return per-phase counts read back from the checkpoints, the ledger and Odoo.

        ``in_odoo`` counts the existing records bound to the phase's external IDs, whichever
        run wrote them. For a phase without bindings (schema) it counts the existing records of
        this run's ledger. For owners it counts the queue entries that are matched or ignored.
        """
        self.ensure_one()
        run = self.sudo()
        ledger_counts = {
            (phase, operation): count
            for phase, operation, count in self.env["netmera.migration.ledger"]
            .sudo()
            # Only lines of plan rows carry an external ID; the side records a row needs (a
            # utm.medium and its ir.model.data) are undone by rollback but are not rows.
            ._read_group(
                [("run_id", "=", run.id), ("xml_id", "!=", False)],
                ["phase", "operation"],
                ["__count"],
            )
        }
        batch_counts = {
            phase: (unchanged, errors)
            for phase, unchanged, errors in self.env["netmera.migration.checkpoint"]
            .sudo()
            ._read_group(
                [("run_id", "=", run.id)], ["phase"], ["unchanged_count:sum", "error_count:sum"]
            )
        }
        phases = []
        for phase in PHASES:
            unchanged, errors = batch_counts.get(phase, (0, 0))
            phases.append(
                {
                    "name": phase,
                    "created": ledger_counts.get((phase, "create"), 0),
                    "updated": ledger_counts.get((phase, "update"), 0),
                    "unchanged": unchanged,
                    "errors": errors,
                    "in_odoo": run._count_in_odoo(phase),
                }
            )
        return {"phases": phases}

    def _count_in_odoo(self, phase):
        if phase == "owners":
            return (
                self.env["netmera.owner.queue"]
                .sudo()
                .search_count([("run_id", "=", self.id), ("state", "!=", "pending")])
            )

        cr = self.env.cr
        self.env["netmera.migration.binding"].flush_model()
        cr.execute(
            "SELECT DISTINCT model FROM netmera_migration_binding WHERE phase = %s", (phase,)
        )
        bound_models = [model for (model,) in cr.fetchall() if model in self.env]
        if bound_models:
            total = 0
            for model in bound_models:
                self.env[model].flush_model()
                # The table name comes from the registry, never from user input.
                cr.execute(
                    f"""
                    SELECT count(*) FROM netmera_migration_binding b
                      JOIN "{self.env[model]._table}" t ON t.id = b.res_id
                     WHERE b.phase = %s AND b.model = %s
                    """,
                    (phase, model),
                )
                total += cr.fetchone()[0]
            return total

        self.env["netmera.migration.ledger"].flush_model()
        cr.execute(
            """
            SELECT DISTINCT model FROM netmera_migration_ledger
             WHERE run_id = %s AND phase = %s AND NOT rolled_back
            """,
            (self.id, phase),
        )
        total = 0
        for (model,) in cr.fetchall():
            if model not in self.env:
                continue
            self.env[model].flush_model()
            cr.execute(
                f"""
                SELECT count(DISTINCT l.res_id) FROM netmera_migration_ledger l
                  JOIN "{self.env[model]._table}" t ON t.id = l.res_id
                 WHERE l.run_id = %s AND l.phase = %s AND l.model = %s AND NOT l.rolled_back
                """,
                (self.id, phase, model),
            )
            total += cr.fetchone()[0]
        return total

    def pending_owner_count(self):
        self.ensure_one()
        return (
            self.env["netmera.owner.queue"]
            .sudo()
            .search_count([("run_id", "=", self.id), ("state", "=", "pending")])
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_without_pending_ledger(self):
        """Refuse to delete a run whose ledger still contains changes that were not rolled back.

        The ledger goes with the run, and it is the only record of what the run wrote, so
        deleting such a run would leave its records in Odoo with no way to roll them back. A
        run that wrote nothing, or was rolled back, may go.
        """
        if not self.ids:
            return
        self.env["netmera.migration.ledger"].flush_model(["run_id", "rolled_back"])
        self.env.cr.execute(
            """
            SELECT run_id, count(*) FROM netmera_migration_ledger
             WHERE run_id IN %s AND NOT rolled_back
             GROUP BY run_id ORDER BY run_id
            """,
            (tuple(self.ids),),
        )
        pending = dict(self.env.cr.fetchall())
        if not pending:
            return
        run = self.browse(next(iter(pending)))
        raise UserError(
            _(
                "Run %(name)s cannot be deleted: it wrote %(count)s change(s) to Odoo that are "
                "not rolled back, and deleting it would delete the ledger a rollback needs. "
                "Roll it back first, then delete it.",
                name=run.name,
                count=pending[run.id],
            )
        )

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _("Only Netmera Migration managers may import, confirm or roll back runs.")
            )

    def _set_state(self, new_state):
        self._check_transition(new_state, allow_same=False)
        self.write({"state": new_state})

    def _check_transition(self, new_state, allow_same=True):
        for run in self:
            if allow_same and new_state == run.state:
                continue
            if new_state not in STATE_TRANSITIONS[run.state]:
                raise UserError(
                    _(
                        "Run %(name)s cannot go from %(old)s to %(new)s.",
                        name=run.name,
                        old=run.state,
                        new=new_state,
                    )
                )

    def _store_reconciliation(self, reconciliation):
        """Replace the reconciliation lines with the bridge's figures for each phase."""
        self.ensure_one()
        if isinstance(reconciliation, str):
            reconciliation = json.loads(reconciliation)
        phases = (
            reconciliation.get("phases", []) if isinstance(reconciliation, dict) else reconciliation
        )
        Line = self.env["netmera.migration.reconciliation"]
        self.reconciliation_ids.unlink()
        lines = []
        for entry in phases:
            if entry.get("name") not in PHASES:
                continue
            lines.append(
                {
                    "run_id": self.id,
                    "phase": entry["name"],
                    "read_count": int(entry.get("read", 0)),
                    "planned_count": int(entry.get("planned", 0)),
                    "quarantined_count": int(entry.get("quarantined", 0)),
                    "skipped_count": int(entry.get("skipped", 0)),
                    "written_count": int(entry.get("written", 0)),
                    "error_count": int(entry.get("errors", 0)),
                }
            )
        Line.create(lines)
        by_phase = {line["phase"]: line for line in lines}
        for phase_line in self.phase_ids:
            line = by_phase.get(phase_line.phase)
            if line:
                phase_line.write(
                    {
                        "quarantined_count": line["quarantined_count"],
                        "skipped_count": line["skipped_count"],
                    }
                )
