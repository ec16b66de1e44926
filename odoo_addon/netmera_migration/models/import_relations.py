"""Resolution of the relation objects of plan rows, with one query per kind and batch.

A plan row never carries database ids. Its relations are objects:

* ``{"xml_id": name}`` for a many2one. A name without a dot belongs to module ``__import__``,
  and a name with a dot is a full ``module.name`` such as ``base.tr``;
* ``{"xml_ids": [name, ...]}`` for many2many links to add;
* ``{"owner_email": email}`` for a ``res.users`` many2one, matched through the run's owners;
* ``{"code": code}`` for a many2one to a model with a ``code`` field, such as ``res.country``.
"""

from collections import defaultdict

from .constants import XML_ID_MODULE
from .import_values import RowValueError


def split_xml_id(name):
    """Return ``(module, name)``; a name without a module belongs to ``__import__``."""
    if "." in name:
        module, _dot, local = name.partition(".")
        return module, local
    return XML_ID_MODULE, name


def lookup_xml_ids(cr, names):
    """Return ``{name: (model, res_id, content_hash)}`` for the given external ID names.

    One query per module serves the whole list. ``content_hash`` is the hash bound to the name,
    or None when the external ID exists without a binding, as after a CSV import.
    """
    names_by_module = defaultdict(dict)
    for name in names:
        module, local = split_xml_id(name)
        names_by_module[module][local] = name

    found = {}
    for module, locals_to_names in names_by_module.items():
        # One array parameter keeps the statement the same size whatever the batch size, and
        # the (module, name) unique index serves it.
        cr.execute(
            """
            SELECT d.name, d.model, d.res_id, b.content_hash
              FROM ir_model_data d
              LEFT JOIN netmera_migration_binding b
                ON %s = %s AND b.xml_id = d.name AND b.model = d.model AND b.res_id = d.res_id
             WHERE d.module = %s AND d.name = ANY(%s)
            """,
            (module, XML_ID_MODULE, module, list(locals_to_names)),
        )
        for local, model, res_id, content_hash in cr.fetchall():
            found[locals_to_names[local]] = (model, res_id, content_hash)
    return found


def filter_existing(env, targets):
    """Drop targets whose record was deleted since its external ID was written."""
    ids_by_model = defaultdict(set)
    for model, res_id, _hash in targets.values():
        ids_by_model[model].add(res_id)

    alive = set()
    for model, ids in ids_by_model.items():
        if model not in env:
            continue
        records = env[model].browse(list(ids)).exists()
        alive.update((model, res_id) for res_id in records.ids)
    return {name: target for name, target in targets.items() if (target[0], target[1]) in alive}


class RelationResolver:
    """Resolves the relation objects of one batch; build it, ``prefetch()``, then ``resolve()``."""

    def __init__(self, run, model):
        self.run = run
        self.env = run.env
        self.model = model
        self.xml_ids = {}
        self.codes = {}
        self.owners = {}

    def prefetch(self, values_list):
        """Look up every relation object of the batch at once."""
        names = set()
        codes = defaultdict(set)
        emails = set()
        for values in values_list:
            for field_name, value in values.items():
                if not isinstance(value, dict):
                    continue
                field = self.model._fields.get(field_name)
                if field is None:
                    continue
                if isinstance(value.get("xml_id"), str):
                    names.add(value["xml_id"])
                xml_ids = value.get("xml_ids")
                if isinstance(xml_ids, list):
                    names.update(name for name in xml_ids if isinstance(name, str))
                if isinstance(value.get("code"), str) and field.comodel_name:
                    codes[field.comodel_name].add(value["code"])
                if isinstance(value.get("owner_email"), str):
                    emails.add(value["owner_email"].strip().lower())

        self.xml_ids = filter_existing(self.env, lookup_xml_ids(self.env.cr, names))
        for comodel, comodel_codes in codes.items():
            self.codes.update(self._lookup_codes(comodel, comodel_codes))
        if emails:
            self.owners = self.run._resolve_owner_emails(emails)

    def resolve(self, field, value):
        """Return the ORM value of a relation object for ``field``, or raise RowValueError."""
        name = field.name
        if value is None or value is False:
            return False if field.type == "many2one" else []
        if not isinstance(value, dict):
            raise RowValueError(
                name,
                f'{name} must be a relation object such as {{"xml_id": ...}}, not {value!r}; '
                "plan rows never carry database ids.",
            )

        if field.type == "many2many":
            return self._resolve_many(field, value)
        if "xml_id" in value:
            return self._resolve_xml_id(field, value["xml_id"])
        if "owner_email" in value:
            return self._resolve_owner(field, value["owner_email"])
        if "code" in value:
            return self._resolve_code(field, value["code"])
        raise RowValueError(name, f"Unknown relation object {value!r} for {name}.")

    def _resolve_many(self, field, value):
        names = value.get("xml_ids")
        if not isinstance(names, list) or not all(isinstance(item, str) for item in names):
            raise RowValueError(field.name, f'{field.name} expects {{"xml_ids": [...]}}.')

        ids = []
        missing = []
        for item in names:
            target = self.xml_ids.get(item)
            if target is None or target[0] != field.comodel_name:
                missing.append(item)
            elif target[1] not in ids:
                ids.append(target[1])
        if missing:
            raise RowValueError(
                field.name,
                f"No {field.comodel_name} record with external ID {', '.join(missing)}.",
            )
        return ids

    def _resolve_xml_id(self, field, xml_id):
        target = self.xml_ids.get(xml_id) if isinstance(xml_id, str) else None
        if target is None or target[0] != field.comodel_name:
            raise RowValueError(
                field.name, f"No {field.comodel_name} record with external ID {xml_id}."
            )
        return target[1]

    def _resolve_owner(self, field, email):
        if field.comodel_name != "res.users":
            raise RowValueError(field.name, f"{field.name} does not link to users.")
        key = email.strip().lower() if isinstance(email, str) else None
        if key not in self.owners:
            raise RowValueError(
                field.name,
                f"Owner {email} is not matched to an active Odoo user; "
                "match or ignore it in the owner queue.",
            )
        return self.owners[key]

    def _resolve_code(self, field, code):
        target = self.codes.get(
            (field.comodel_name, self._normalize_code(field.comodel_name, code))
        )
        if target is None:
            raise RowValueError(field.name, f"No {field.comodel_name} with code {code!r}.")
        return target

    def _lookup_codes(self, comodel, codes):
        Model = self.env[comodel]
        if "code" not in Model._fields:
            return {}
        wanted = {self._normalize_code(comodel, code) for code in codes}
        records = Model.with_context(active_test=False).search([("code", "in", list(wanted))])
        return {(comodel, self._normalize_code(comodel, rec.code)): rec.id for rec in records}

    @staticmethod
    def _normalize_code(comodel, code):
        # res.country stores upper-case ISO 3166 codes; plan rows may carry "tr".
        if comodel == "res.country" and isinstance(code, str):
            return code.upper()
        return code
