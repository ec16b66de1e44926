"""Conversion of plain plan-row values to ORM values and back, without database access.

Relations are resolved in ``import_relations``. This module checks the types of the plain
values, so that a wrong type becomes a row error before any SQL runs.
"""

from datetime import datetime, timezone

from odoo import fields

# Fields the import never writes, whatever the plan row contains.
PROTECTED_FIELDS = frozenset(
    {"id", "create_uid", "create_date", "write_uid", "write_date", "__last_update", "display_name"}
)

# PostgreSQL "integer" bounds, the column type of Odoo integer fields.
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

TEXT_TYPES = ("char", "text", "html")


class RowValueError(ValueError):
    """A value of a plan row that cannot be written; carries the field it belongs to."""

    def __init__(self, field_name, message):
        super().__init__(message)
        self.field_name = field_name
        self.message = message


def check_writable(model, field_name):
    """Return the field object of ``model`` named ``field_name`` or raise RowValueError."""
    field = model._fields.get(field_name)
    if field is None:
        raise RowValueError(field_name, f"Field {field_name} does not exist on {model._name}.")
    if field_name in PROTECTED_FIELDS or (field.compute and not field.store and not field.inverse):
        raise RowValueError(field_name, f"Field {field_name} of {model._name} is not writable.")
    if field.type == "one2many":
        raise RowValueError(
            field_name, f"One2many field {field_name} cannot be imported; import the lines instead."
        )
    return field


def convert_plain_value(model, field, value, selection_cache):
    """Check a non-relational value against the field type and return it in ORM form.

    Dates stay strings in Odoo's server format, so that they compare equal to the serialized
    current value and go to JSON unchanged.
    """
    name = field.name
    if value is None or value is False:
        return False

    if field.type in TEXT_TYPES:
        if not isinstance(value, str):
            raise RowValueError(name, f"{name} expects text, got {type(value).__name__} {value!r}.")
        return value or False

    if field.type == "selection":
        allowed = selection_cache.get(name)
        if allowed is None:
            allowed = {key for key, _label in field._description_selection(model.env)}
            selection_cache[name] = allowed
        if value not in allowed:
            raise RowValueError(name, f"{value!r} is not a valid value for {name}.")
        return value

    if field.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise RowValueError(name, f"{name} expects an integer, got {value!r}.")
        if not INT32_MIN <= value <= INT32_MAX:
            raise RowValueError(name, f"{value} is out of range for integer field {name}.")
        return value

    if field.type in ("float", "monetary"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RowValueError(name, f"{name} expects a number, got {value!r}.")
        # Rounds to the field's digits, as the database will, so a re-run compares equal.
        return field.convert_to_cache(float(value), model)

    if field.type == "boolean":
        if not isinstance(value, bool):
            raise RowValueError(name, f"{name} expects true or false, got {value!r}.")
        return value

    if field.type == "date":
        return _convert_date(name, value)

    if field.type == "datetime":
        return _convert_datetime(name, value)

    raise RowValueError(name, f"Fields of type {field.type} ({name}) cannot be imported.")


def _convert_date(name, value):
    if not isinstance(value, str):
        raise RowValueError(name, f"{name} expects a date YYYY-MM-DD, got {value!r}.")
    try:
        return fields.Date.to_string(datetime.strptime(value, "%Y-%m-%d").date())
    except ValueError as err:
        raise RowValueError(name, f"{value!r} is not a valid date YYYY-MM-DD for {name}.") from err


def _convert_datetime(name, value):
    """Accept Odoo's "YYYY-MM-DD HH:MM:SS" (UTC) or ISO 8601 with an offset, store naive UTC."""
    if not isinstance(value, str):
        raise RowValueError(name, f"{name} expects a datetime, got {value!r}.")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise RowValueError(name, f"{value!r} is not a valid datetime for {name}.") from err
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return fields.Datetime.to_string(moment.replace(microsecond=0))


def serialize_current(field, value):
    """Return the record's current value in the JSON form the ledger keeps and write() accepts."""
    if field.type == "many2one":
        return value.id or False
    if field.type in ("many2many", "one2many"):
        return value.ids
    if field.type == "date":
        return fields.Date.to_string(value) if value else False
    if field.type == "datetime":
        return fields.Datetime.to_string(value) if value else False
    if field.type in TEXT_TYPES or field.type == "selection":
        return str(value) if value else False
    return value
