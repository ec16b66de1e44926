"""The schema import phase: custom partner fields and languages."""

import logging
import re

from odoo import models

from .netmera_migration_run_import import ImportItem

_logger = logging.getLogger(__name__)

# Odoo's rules for custom field names: the "x_" prefix (CHECK constraint name_manual_field of
# ir_model_fields) and a valid PostgreSQL identifier of at most 63 characters.
CUSTOM_FIELD_NAME_RE = re.compile(r"^x_[a-z0-9_]+$")
MAX_FIELD_NAME_LENGTH = 63
CUSTOM_FIELD_TYPES = (
    "char",
    "text",
    "integer",
    "float",
    "date",
    "datetime",
    "boolean",
    "selection",
)
CUSTOM_FIELD_MODEL = "res.partner"


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    def _import_phase_schema(self, phase, batch_no, rows):
        """Create custom partner fields and activate languages; both are ledgered for rollback."""
        result = self._new_batch_result()
        field_items = []
        lang_items = []
        for index, row in enumerate(rows):
            values = row.get("values") if isinstance(row, dict) else None
            xml_id = row.get("xml_id") if isinstance(row, dict) else None
            if not isinstance(values, dict):
                self._add_row_error(result, index, xml_id, None, "Row has no values object.")
                continue
            item = ImportItem(index, xml_id, values, row.get("hash"))
            if values.get("kind") == "field":
                field_items.append(item)
            elif values.get("kind") == "lang":
                lang_items.append(item)
            else:
                self._add_row_error(
                    result, index, xml_id, "kind", f"Unknown schema kind {values.get('kind')!r}."
                )

        self._import_custom_fields(phase, batch_no, field_items, result)
        self._import_languages(phase, batch_no, lang_items, result)
        result["errors"].sort(key=lambda error: error["index"])
        return result

    def create_custom_fields(self, specs):
        """Create ``x_`` fields on res.partner from specs; returns the batch result shape.

        A spec is ``{"name", "ttype", "field_description", "selection"?}``; fields the run
        creates are ledgered, so rollback removes them and only them.
        """
        self.ensure_one()
        self._check_manager()
        run = self.sudo()
        result = run._new_batch_result()
        items = [
            ImportItem(index, spec.get("name") if isinstance(spec, dict) else None, spec, None)
            for index, spec in enumerate(specs)
        ]
        run._import_custom_fields("schema", 0, items, result)
        return result

    def _import_custom_fields(self, phase, batch_no, items, result):
        valid = []
        for item in items:
            message, field_name = self._check_field_spec(item.values)
            if message:
                self._add_row_error(result, item.index, item.xml_id, field_name, message)
                continue
            valid.append(item)
        if not valid:
            return

        Fields = self.env["ir.model.fields"]
        existing = {
            field.name: field
            for field in Fields.search(
                [
                    ("model", "=", CUSTOM_FIELD_MODEL),
                    ("name", "in", [item.values["name"] for item in valid]),
                ]
            )
        }
        model_id = self.env["ir.model"]._get_id(CUSTOM_FIELD_MODEL)
        creates = []
        updated = []
        for item in valid:
            spec = item.values
            field = existing.get(spec["name"])
            if field is None:
                item.vals = self._custom_field_vals(model_id, spec)
                creates.append(item)
                continue
            if field.ttype != spec["ttype"]:
                self._add_row_error(
                    result,
                    item.index,
                    item.xml_id,
                    "ttype",
                    f"Field {spec['name']} already exists with type {field.ttype}, "
                    f"not {spec['ttype']}.",
                )
                continue
            description = spec.get("field_description") or spec["name"]
            if field.state == "manual" and field.field_description != description:
                item.res_id = field.id
                item.previous_values = {"field_description": field.field_description}
                item.links_added = {}
                field.field_description = description
                updated.append(item)
            else:
                result["unchanged"] += 1

        created = self._create_records(Fields, creates, result)
        result["created"] += len(created)
        result["updated"] += len(updated)
        self._write_ledger(
            phase,
            batch_no,
            [self._schema_ledger_entry("ir.model.fields", item, "create") for item in created]
            + [self._schema_ledger_entry("ir.model.fields", item, "update") for item in updated],
        )
        if created:
            _logger.info(
                "Run %s created custom fields %s",
                self.id,
                [item.values["name"] for item in created],
            )

    @staticmethod
    def _check_field_spec(spec):
        """Return ``(message, field)`` describing what is wrong with a spec, or ``(None, None)``."""
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            return "Custom field spec has no name.", "name"
        if not name.startswith("x_"):
            return f"Custom field name {name} must start with x_.", "name"
        if len(name) > MAX_FIELD_NAME_LENGTH:
            return (
                f"Custom field name {name} is longer than {MAX_FIELD_NAME_LENGTH} characters.",
                "name",
            )
        if not CUSTOM_FIELD_NAME_RE.match(name):
            return (
                f"Custom field name {name} may contain only lower-case letters, digits and _.",
                "name",
            )
        if spec.get("ttype") not in CUSTOM_FIELD_TYPES:
            return (
                f"Custom field type {spec.get('ttype')!r} is not one of "
                f"{', '.join(CUSTOM_FIELD_TYPES)}.",
                "ttype",
            )
        description = spec.get("field_description")
        if description is not None and not isinstance(description, str):
            return "field_description must be text.", "field_description"
        if spec["ttype"] == "selection" and not _selection_pairs(spec.get("selection")):
            return (
                "A selection field needs a non-empty selection list of [value, label] pairs "
                "or values.",
                "selection",
            )
        return None, None

    @staticmethod
    def _custom_field_vals(model_id, spec):
        vals = {
            "model_id": model_id,
            "name": spec["name"],
            "ttype": spec["ttype"],
            "field_description": spec.get("field_description") or spec["name"],
            "state": "manual",
        }
        if spec["ttype"] == "selection":
            vals["selection_ids"] = [
                (0, 0, {"value": value, "name": label, "sequence": position})
                for position, (value, label) in enumerate(_selection_pairs(spec["selection"]))
            ]
        return vals

    @staticmethod
    def _schema_ledger_entry(model_name, item, operation):
        entry = {
            "model": model_name,
            "res_id": item.res_id,
            "xml_id": item.xml_id or item.values.get("name") or item.values.get("code"),
            "operation": operation,
            "content_hash": item.content_hash if isinstance(item.content_hash, str) else None,
        }
        if operation == "update":
            entry["previous_values"] = item.previous_values
        return entry

    def _import_languages(self, phase, batch_no, items, result):
        if not items:
            return

        Lang = self.env["res.lang"].with_context(active_test=False)
        codes = [item.values.get("code") for item in items]
        known = Lang.search([("code", "in", [code for code in codes if isinstance(code, str)])])
        langs = {lang.code: lang for lang in known}
        activated = []
        for item in items:
            code = item.values.get("code")
            lang = langs.get(code) if isinstance(code, str) else None
            if lang is None:
                self._add_row_error(
                    result,
                    item.index,
                    item.xml_id,
                    "code",
                    f"Language {code!r} is not known to this Odoo; check the code (for example "
                    "tr_TR).",
                )
                continue
            if lang.active:
                result["unchanged"] += 1
                continue
            lang.active = True
            item.res_id = lang.id
            item.previous_values = {"active": False}
            activated.append(item)

        result["updated"] += len(activated)
        self._write_ledger(
            phase,
            batch_no,
            [self._schema_ledger_entry("res.lang", item, "update") for item in activated],
        )


def _selection_pairs(selection):
    """Return ``[(value, label), ...]`` from a list of pairs or plain values; [] when invalid."""
    if not isinstance(selection, list) or not selection:
        return []
    pairs = []
    for option in selection:
        if isinstance(option, str) and option:
            pairs.append((option, option))
        elif (
            isinstance(option, (list, tuple))
            and len(option) == 2
            and all(isinstance(part, str) and part for part in option)
        ):
            pairs.append((option[0], option[1]))
        else:
            return []
    return pairs
