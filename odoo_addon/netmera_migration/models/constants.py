"""Phase names and import context shared by the run model and its extensions."""

# Import order of the plan phases; the bridge sends batches in this order.
PHASES = [
    "schema",
    "tags",
    "stages",
    "owners",
    "companies",
    "contacts",
    "campaigns",
    "history",
]

PHASE_SELECTION = [
    ("schema", "Schema"),
    ("tags", "Tags"),
    ("stages", "Stages"),
    ("owners", "Owners"),
    ("companies", "Companies"),
    ("contacts", "Contacts"),
    ("campaigns", "Campaigns"),
    ("history", "History"),
]

# Module part of every external ID the bridge addresses; Odoo's CSV importer uses the same one.
XML_ID_MODULE = "__import__"

# Context for every write of an import or a rollback: no tracking values, no "created" log
# message and no automatic followers, so that a batch costs the same as a plain ORM create.
IMPORT_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    # Marks writes of the import itself, for the overrides that keep each row's own values.
    "netmera_import": True,
}

MANAGER_GROUP = "netmera_migration.group_netmera_migration_manager"
USER_GROUP = "netmera_migration.group_netmera_migration_user"
