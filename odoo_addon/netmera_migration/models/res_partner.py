from odoo import api, fields, models

from .import_values import serialize_current


class ResPartner(models.Model):
    _inherit = "res.partner"

    netmera_external_id = fields.Char(
        string="Netmera External ID",
        index=True,
        copy=False,
        help="Netmera extId of the user, kept exactly as Netmera stores it (case-sensitive).",
    )
    netmera_os = fields.Char(string="Netmera OS")
    netmera_app_version = fields.Char(string="Netmera App Version")
    netmera_device_model = fields.Char(string="Netmera Device Model")
    netmera_segment_stage_id = fields.Many2one(
        "netmera.segment.stage",
        string="Netmera Segment Stage",
        index="btree_not_null",
        ondelete="set null",
    )
    netmera_needs_enrichment = fields.Boolean(
        string="Needs Enrichment",
        copy=False,
        help="Imported from an anonymous Netmera installation without extId: the name is a "
        "placeholder and the contact needs identifying data.",
    )
    netmera_untagged = fields.Boolean(
        string="Untagged in Netmera",
        copy=False,
        help="The Netmera user belonged to no tag or segment.",
    )

    def _handle_first_contact_creation(self):
        """Leave a company's empty address empty when the import creates its first contact.

        Odoo gives a company without an address the address of its first child contact. An
        imported company row states its own address, empty included, so the contact's address
        stays the contact's. Outside the import, Odoo's behaviour is unchanged.
        """
        if self.env.context.get("netmera_import"):
            return None
        return super()._handle_first_contact_creation()

    @api.model
    def _netmera_own_address(self, values, vals):
        """Return the address a child contact keeps from its plan row, or None.

        Odoo copies a parent company's address onto a child of type ``contact`` when the child
        is created or its parent changes. A Netmera user linked to a company has an address of
        their own. So when the row links a parent and has any address field (street, street2,
        zip, city, state_id, country_id), the row's address wins. Every address field then
        takes the row's value, and a field the row lacks is empty rather than the company's.
        A child row without any address field returns None and takes the company's address as
        Odoo does. ``values`` is the plan row's values, ``vals`` the converted ORM values.
        """
        if not values.get("parent_id"):
            return None
        address_fields = self._address_fields()
        if not any(values.get(name) not in (None, False, "") for name in address_fields):
            return None
        return {name: vals.get(name, False) for name in address_fields}

    def _netmera_address(self):
        """Return the record's address in the form of ``_netmera_own_address``."""
        self.ensure_one()
        return {
            name: serialize_current(self._fields[name], self[name])
            for name in self._address_fields()
        }

    def _netmera_parent_copies(self, own_address):
        """Return the repair of the address fields that Odoo's parent sync explains.

        A field counts when it differs from ``own_address`` and equals the parent's value, as
        after the copy Odoo makes on creation, on a change of parent, or when the parent's
        address changes. A field a person set to anything else is left alone. Returns
        ``{field: own value}``, empty when nothing needs writing.
        """
        self.ensure_one()
        if not self.parent_id or self.type != "contact":
            return {}
        current = self._netmera_address()
        parent = self.parent_id._netmera_address()
        return {
            name: value
            for name, value in own_address.items()
            if current[name] != value and current[name] == parent[name]
        }

    def _netmera_keep_own_address(self, own_address):
        """Write ``own_address`` back where Odoo's parent sync replaced it; return the fix.

        The write carries neither ``parent_id`` nor ``type``, so Odoo does not sync the parent's
        address again; contacts below this one follow it as usual.
        """
        self.ensure_one()
        current = self._netmera_address()
        fix = {name: value for name, value in own_address.items() if current[name] != value}
        if fix:
            self.write(fix)
        return fix
