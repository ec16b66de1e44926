"""Buttons that start bridge jobs for a run, and the call through which the bridge reports them."""

import json
import logging
import os

import requests

from odoo import _, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

URL_PARAM = "netmera_migration.bridge_url"
TOKEN_PARAM = "netmera_migration.bridge_token"

# Used when the system parameters are empty, so that a deployment (docker-compose.yml) can give
# Odoo and the bridge the same token through their environment.
URL_ENV = "NETMERA_ODOO_BRIDGE_URL"
TOKEN_ENV = "NETMERA_ODOO_BRIDGE_TOKEN"

# Seconds to connect and to wait for the response. Job routes respond as soon as the job is
# queued; an upload responds after the zip is unpacked and checked, which takes longer.
JOB_TIMEOUT = (5, 30)
UPLOAD_TIMEOUT = (5, 900)

BRIDGE_JOB_STATES = [
    ("running", "Running"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]

# Run states from which each button may start its job.
SAMPLE_STATES = ("authorised", "failed")
MIGRATION_STATES = ("authorised", "sampled", "failed")


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    bridge_snapshot_id = fields.Char(
        string="Bridge Snapshot",
        readonly=True,
        copy=False,
        help="Id of the snapshot on the bridge, set when a snapshot zip is uploaded.",
    )
    bridge_job_id = fields.Char(string="Bridge Job", readonly=True, copy=False)
    bridge_job_kind = fields.Char(string="Bridge Job Kind", readonly=True, copy=False)
    bridge_job_state = fields.Selection(
        BRIDGE_JOB_STATES, string="Bridge Job State", readonly=True, copy=False
    )
    bridge_job_step = fields.Char(string="Bridge Job Step", readonly=True, copy=False)
    bridge_job_message = fields.Char(string="Bridge Job Message", readonly=True, copy=False)
    bridge_job_updated_at = fields.Datetime(
        string="Bridge Job Updated At", readonly=True, copy=False
    )

    def action_start_sample(self):
        """Ask the bridge to plan the snapshot and import a sample into this run."""
        self.ensure_one()
        self._check_manager()
        if self.state not in SAMPLE_STATES or (self.state == "failed" and not self.is_sample):
            raise UserError(
                _(
                    "Run %(name)s cannot start a sample in state %(state)s; a sample starts "
                    "from an authorised run.",
                    name=self.name,
                    state=self.state,
                )
            )

        if not self.is_sample or not self.sample_size:
            self.write({"is_sample": True, "sample_size": self.sample_size or 100})
        return self._start_bridge_job(
            "sample", {**self._bridge_inputs(), "sampleSize": self.sample_size}
        )

    def action_start_migration(self):
        """Ask the bridge to import the whole snapshot; after a sample, into a new full run."""
        self.ensure_one()
        self._check_manager()
        if self.state not in MIGRATION_STATES:
            raise UserError(
                _(
                    "Run %(name)s cannot start a migration in state %(state)s.",
                    name=self.name,
                    state=self.state,
                )
            )

        run = self
        if self.is_sample and self.state != "failed":
            run = self._create_full_run()
        elif self.is_sample:
            raise UserError(
                _(
                    "Sample run %(name)s failed; start the sample again or roll it back "
                    "before the full migration.",
                    name=self.name,
                )
            )
        run._start_bridge_job("migrate", run._bridge_inputs())
        if run == self:
            return True
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_render_inventory(self):
        """Ask the bridge to write the inventory of what does not migrate, as HTML and PDF."""
        self.ensure_one()
        self._check_manager()
        payload = {"snapshotId": self._require_snapshot(), "customer": self.env.company.name}
        return self._start_bridge_job("inventory", payload)

    def action_open_snapshot_upload(self):
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": _("Upload Snapshot"),
            "res_model": "netmera.snapshot.upload",
            "view_mode": "form",
            "target": "new",
            "context": {"default_run_id": self.id},
        }

    def report_bridge_job(self, report):
        """Store the state of the bridge job that works on this run, as the bridge reports it."""
        self.ensure_one()
        self._check_manager()
        state = report.get("state")
        if state not in dict(BRIDGE_JOB_STATES):
            raise UserError(_("Unknown bridge job state %(state)s.", state=state))

        self.sudo().write(
            {
                "bridge_job_id": report.get("job_id") or False,
                "bridge_job_kind": report.get("kind") or False,
                "bridge_job_state": state,
                "bridge_job_step": report.get("step") or False,
                "bridge_job_message": (report.get("message") or "")[:500] or False,
                "bridge_job_updated_at": fields.Datetime.now(),
            }
        )
        return True

    def _create_full_run(self):
        """Copy a finished sample run into a full run with the same approvals."""
        run = self.copy(
            {
                "name": _("%(name)s (full)", name=self.name),
                "is_sample": False,
                "sample_size": 0,
                "bridge_snapshot_id": self.bridge_snapshot_id,
                "mapping_confirmed_by": self.mapping_confirmed_by,
                "mapping_confirmed_at": self.mapping_confirmed_at,
                "gdpr_agreement_ref": self.gdpr_agreement_ref,
                "gdpr_confirmed_by_id": self.gdpr_confirmed_by_id.id,
                "gdpr_confirmed_at": self.gdpr_confirmed_at,
                "state": "authorised",
            }
        )
        run.message_post(
            body=_(
                "Full migration after sample run %(name)s, under the same mapping "
                "confirmation and GDPR authorisation (%(agreement)s).",
                name=self.name,
                agreement=self.gdpr_agreement_ref,
            )
        )
        return run

    def _require_snapshot(self):
        if not self.bridge_snapshot_id:
            raise UserError(
                _("Run %(name)s has no snapshot yet; upload a snapshot zip first.", name=self.name)
            )
        return self.bridge_snapshot_id

    def _bridge_inputs(self):
        """Snapshot and mapping for a plan on the bridge."""
        inputs = {"snapshotId": self._require_snapshot()}
        if self.mapping_json:
            try:
                inputs["mapping"] = json.loads(self.mapping_json)
            except ValueError as err:
                raise UserError(
                    _(
                        "The mapping of run %(name)s is not valid JSON: %(error)s",
                        name=self.name,
                        error=err,
                    )
                ) from err
        return inputs

    def _start_bridge_job(self, route, payload):
        job = self._bridge_request("post", f"/runs/{self.id}/{route}", json=payload)
        self.write(
            {
                "bridge_job_id": job.get("id") or False,
                "bridge_job_kind": job.get("kind") or route,
                "bridge_job_state": "running",
                "bridge_job_step": False,
                "bridge_job_message": False,
                "bridge_job_updated_at": fields.Datetime.now(),
            }
        )
        _logger.info("Bridge job %s (%s) started for run %s", job.get("id"), route, self.id)
        return True

    def _bridge_request(self, method, path, timeout=JOB_TIMEOUT, **kwargs):
        """Call the bridge API and return its JSON response; every failure raises a UserError."""
        params = self.env["ir.config_parameter"].sudo()
        base_url = (params.get_param(URL_PARAM) or os.environ.get(URL_ENV) or "").rstrip("/")
        token = params.get_param(TOKEN_PARAM) or os.environ.get(TOKEN_ENV) or ""
        if not base_url or not token:
            raise UserError(
                _(
                    "The bridge URL and token are not set: enter them in Netmera Migration › "
                    "Configuration › Settings (or set %(url)s and %(token)s for the Odoo server).",
                    url=URL_ENV,
                    token=TOKEN_ENV,
                )
            )

        url = base_url + path
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            response = requests.request(method, url, headers=headers, timeout=timeout, **kwargs)
        except requests.RequestException as err:
            _logger.warning("Bridge request %s %s failed: %s", method.upper(), url, err)
            raise UserError(
                _("The bridge at %(url)s cannot be reached: %(error)s", url=base_url, error=err)
            ) from err

        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.ok:
            return body

        _logger.warning("Bridge responded %s to %s %s", response.status_code, method.upper(), url)
        if response.status_code == 401:
            raise UserError(
                _(
                    "The bridge rejected the token; check the bridge token in Netmera "
                    "Migration › Configuration › Settings."
                )
            )
        message = body.get("error") or response.reason
        issues = body.get("issues") or []
        if issues:
            message = "; ".join(f"{issue.get('path')}: {issue.get('message')}" for issue in issues)
        raise UserError(
            _(
                "The bridge rejected the request (HTTP %(status)s): %(message)s",
                status=response.status_code,
                message=message,
            )
        )
