"""Record of what the migration last wrote into each field of a record, kept on its binding.

A re-sync writes only the fields whose planned value changed since the migration last wrote
the record, so edits people made in Odoo to the other fields stay. The binding's
``field_hashes`` is a JSON object with one entry per field of the last row written:

* a short hash of the ORM value for most fields. A hash rather than the value keeps the
  binding small whatever the field contains, an HTML body or a long note. With 12 hex digits
  (48 bits), the chance that a changed value keeps its hash is about 1 in 2.8e14 per change.
* the sorted list of external IDs for a many2many given as ``{"xml_ids": [...]}``. These
  names are the links the migration made, so a later row can unlink exactly those it no
  longer has and leave the links people made alone.

A binding without ``field_hashes`` comes from an older version of the addon, or a rollback
cleared it. Its record is then written in full once, as before.
"""

import hashlib
import json

from .import_relations import lookup_xml_ids


def short_hash(value):
    canonical = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.blake2b(canonical.encode(), digest_size=6).hexdigest()


def planned_state(model, item):
    """Return the ``field_hashes`` entries for the values ``item`` plans to write."""
    state = {}
    for field_name, value in (item.vals or {}).items():
        field = model._fields.get(field_name)
        if field is not None and field.type == "many2many":
            names = planned_names(item.values.get(field_name))
            if names is not None:
                state[field_name] = names
                continue
        state[field_name] = short_hash(value)
    return state


def planned_names(raw):
    """Return the sorted external IDs of a many2many plan value, or None if it has none."""
    if raw is None or raw is False:
        return []
    if isinstance(raw, dict) and isinstance(raw.get("xml_ids"), list):
        return sorted({name for name in raw["xml_ids"] if isinstance(name, str)})
    return None


def load_last_written(cr, model_name, items):
    """Set ``item.last_written`` to the binding's field state, or None, with one query."""
    by_xml_id = {item.xml_id: item for item in items}
    for item in items:
        item.last_written = None
    if not by_xml_id:
        return
    cr.execute(
        """
        SELECT xml_id, field_hashes FROM netmera_migration_binding
         WHERE model = %s AND xml_id = ANY(%s) AND field_hashes IS NOT NULL
        """,
        (model_name, list(by_xml_id)),
    )
    # Matched on the external ID, not on res_id. Odoo's contact merge moves the external ID to
    # the kept contact but not the binding. What the migration last wrote still applies there, so
    # the kept contact's own values stay unless the plan changes them.
    for xml_id, text in cr.fetchall():
        by_xml_id[xml_id].last_written = json.loads(text)


def link_changes(env, field, planned, before, current):
    """Return ``(added, removed)`` ids for a many2many whose planned names changed.

    ``planned`` and ``before`` are lists of external IDs, ``current`` the linked ids. Only
    names newly planned are linked, and only names planned before and no longer are unlinked.
    """
    added_names = [name for name in planned if name not in before]
    removed_names = [name for name in before if name not in planned]
    targets = lookup_xml_ids(env.cr, added_names + removed_names)

    def ids_of(names):
        ids = []
        for name in names:
            target = targets.get(name)
            if target and target[0] == field.comodel_name and target[1] not in ids:
                ids.append(target[1])
        return ids

    new_ids = ids_of(added_names)
    added = [res_id for res_id in new_ids if res_id not in current]
    removed = [res_id for res_id in ids_of(removed_names) if res_id in current]
    removed = [res_id for res_id in removed if res_id not in new_ids]
    return added, removed
