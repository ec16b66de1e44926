"""The bridge's heartbeat on a running run, and the lease after which the run is interrupted.

While ``migrate`` imports it calls ``heartbeat()`` at least every 30 seconds (and each progress
report counts as one). A run in state ``running`` whose last heartbeat is older than the lease
belongs to no live bridge: a killed process, a lost machine. Such a run shows as interrupted,
may be rolled back, and a new ``migrate`` resumes it. A run with a fresh heartbeat refuses
rollback, because batches of the live bridge would keep landing beside it.

The lease decides whether a running run counts as alive; it is no lock. The lock is the run's
row: each batch holds a key-share lock on it until it commits, and rollback takes it with
``FOR UPDATE NOWAIT``, so a rollback is refused while a batch is in flight and a batch after the
rollback finds the run rolled back (see ``_lock_for_rollback`` and ``_lock_for_batch``).
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

LEASE_PARAM = "netmera_migration.lease_seconds"
DEFAULT_LEASE_SECONDS = 120
# Every begin_import() rewrites this one row with the id of the run it starts, so that two calls
# at the same moment conflict in PostgreSQL (see _claim_import_slot).
IMPORT_SLOT_PARAM = "netmera_migration.last_import_started"


def format_seconds(seconds):
    """``90`` → ``"90 s"``, ``120`` → ``"2 min"``, ``150`` → ``"2 min 30 s"``."""
    minutes, rest = divmod(int(seconds), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    heartbeat_at = fields.Datetime(
        string="Last Heartbeat",
        readonly=True,
        copy=False,
        help="When the bridge last reported that it is still importing this run.",
    )
    is_interrupted = fields.Boolean(
        string="Interrupted",
        compute="_compute_interrupted",
        help="Running, but no heartbeat from the bridge within the lease.",
    )
    interrupted_message = fields.Text(compute="_compute_interrupted")

    def _lease_seconds(self, override=None):
        """Return the lease in seconds: the caller's, else the system parameter, else 2 minutes."""
        if override not in (None, False):
            value = override
        else:
            value = self.env["ir.config_parameter"].sudo().get_param(LEASE_PARAM)
        try:
            seconds = int(value)
        except (TypeError, ValueError):
            return DEFAULT_LEASE_SECONDS
        return seconds if seconds > 0 else DEFAULT_LEASE_SECONDS

    def _last_sign_of_life(self):
        return self.heartbeat_at or self.started_at

    def _heartbeat_age(self):
        """Seconds since the bridge last reported, or None when it never did."""
        last = self._last_sign_of_life()
        return (fields.Datetime.now() - last).total_seconds() if last else None

    def _interrupted(self, lease_seconds):
        if self.state != "running":
            return False
        age = self._heartbeat_age()
        return age is None or age > lease_seconds

    # The age also depends on the clock, so the value holds for one request at most.
    @api.depends("state", "heartbeat_at", "started_at")
    def _compute_interrupted(self):
        lease = self._lease_seconds()
        for run in self:
            run.is_interrupted = run._interrupted(lease)
            run.interrupted_message = run._interrupted_text(lease) if run.is_interrupted else False

    def _interrupted_text(self, lease_seconds):
        last = self._last_sign_of_life()
        since = (
            _("since %(when)s UTC", when=fields.Datetime.to_string(last)) if last else _("at all")
        )
        return _(
            "Interrupted: the bridge has sent no heartbeat %(since)s, longer than the lease "
            "of %(lease)s, so no migrate is importing this run any more. Run netmera-odoo "
            "migrate again to resume it where it stopped, or roll it back.",
            since=since,
            lease=format_seconds(lease_seconds),
        )

    def heartbeat(self):
        """Record that the bridge is importing this run; returns the state and the lease."""
        self.ensure_one()
        self._check_manager()
        if self.state == "running":
            self.sudo().write({"heartbeat_at": fields.Datetime.now()})
        return {"state": self.state, "lease_seconds": self._lease_seconds()}

    def report_progress(self, phase, done, total):
        result = super().report_progress(phase, done, total)
        self.sudo().write({"heartbeat_at": fields.Datetime.now()})
        return result

    def action_start(self):
        result = super().action_start()
        self.sudo().write({"heartbeat_at": fields.Datetime.now()})
        return result

    def begin_import(self):
        """Start or resume the run for a bridge about to send batches, and return its state.

        Raises UserError while another run of this database imports (state running, heartbeat
        within the lease). Two runs importing at once write the same external IDs, so the
        second would stop on PostgreSQL's unique index half way through a phase. The rejected
        run keeps its state, and nothing of it is written.
        """
        self.ensure_one()
        self._check_manager()
        self._claim_import_slot()
        if self.state == "running":
            self.sudo().write({"heartbeat_at": fields.Datetime.now()})
        else:
            self.action_start()
        return {"state": self.state, "lease_seconds": self._lease_seconds()}

    def _claim_import_slot(self):
        """Raise UserError while another run imports. Of two calls at the same moment, one wins.

        Both calls update the same system parameter row first. PostgreSQL makes the second
        wait for the first to commit and then fails it with a serialization error. Odoo's RPC
        layer retries such a call, and the retry then finds the first run running.
        """
        self.env.cr.execute(
            """
            INSERT INTO ir_config_parameter
                   (key, value, create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (key) DO UPDATE
               SET value = EXCLUDED.value,
                   write_uid = EXCLUDED.write_uid,
                   write_date = EXCLUDED.write_date
            """,
            (IMPORT_SLOT_PARAM, str(self.id), self.env.uid, self.env.uid),
            log_exceptions=False,
        )
        lease = self._lease_seconds()
        others = self.sudo().search([("state", "=", "running"), ("id", "!=", self.id)])
        live = others.filtered(lambda run: not run._interrupted(lease))
        if not live:
            return
        other = live.sorted("id")[0]
        raise UserError(
            _(
                "Run %(other)s (id %(other_id)s) is importing into this database now: its "
                "bridge sent a heartbeat %(age)s ago, within the lease of %(lease)s. Two runs "
                "importing at once write the same records, so run %(name)s (id %(id)s) did not "
                "start and nothing of it was written. Let run %(other_id)s finish, or stop its "
                "migrate (Ctrl-C), then run migrate again: it continues run %(id)s.",
                other=other.name,
                other_id=other.id,
                age=format_seconds(other._heartbeat_age() or 0),
                lease=format_seconds(lease),
                name=self.name,
                id=self.id,
            )
        )

    def _stop_interrupted_run(self, lease_seconds=None):
        """Before a rollback: mark an interrupted run failed, or refuse while it is alive."""
        self.ensure_one()
        if self.state != "running":
            return
        lease = self._lease_seconds(lease_seconds)
        if not self._interrupted(lease):
            age = self._heartbeat_age()
            raise UserError(
                _(
                    "Run %(name)s is running: the bridge sent its last heartbeat %(age)s ago, "
                    "within the lease of %(lease)s. Let migrate finish or stop it; once no "
                    "heartbeat has come for %(lease)s the run counts as interrupted and can be "
                    "rolled back. To stop migrate first, press Ctrl-C in its terminal: it exits "
                    "after its batches in flight commit, and the lease expires %(lease)s after "
                    "its last heartbeat.",
                    name=self.name,
                    age=format_seconds(age or 0),
                    lease=format_seconds(lease),
                )
            )
        self.write(
            {
                "state": "failed",
                "last_error": self._interrupted_text(lease),
                "finished_at": fields.Datetime.now(),
            }
        )
