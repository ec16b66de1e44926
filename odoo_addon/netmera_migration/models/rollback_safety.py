"""Checks a rollback makes before it deletes or restores anything.

Each function takes the run (with superuser rights) and reads the database with plain SQL, so
that a run of millions of records costs a few queries per model, not one per record.
"""

# States in which a run has moved records, or may have: it started and has not been undone.
STARTED_STATES = ("running", "sampled", "done", "failed")

# Models of the schema phase. Their records (custom fields, languages) are rewritten by Odoo
# itself, for instance when a module loads, so their write dates do not show edits by people.
SCHEMA_MODELS = ("ir.model.fields", "res.lang")

# Records named in a refusal, per kind of finding.
EXAMPLES = 5

# The lines of the run that a rollback still has to undo.
_RUN_LINES = """
    SELECT DISTINCT res_id FROM netmera_migration_ledger
     WHERE run_id = %(run)s AND model = %(model)s AND NOT rolled_back
"""
_RUN_CREATES = """
    SELECT res_id FROM netmera_migration_ledger
     WHERE run_id = %(run)s AND model = %(model)s AND operation = 'create' AND NOT rolled_back
"""


def later_runs(run):
    """Return the runs that may use what ``run`` wrote and are not rolled back, newest first.

    A run counts as later when it started after ``run`` (the same second: a higher id). It
    counts as using the records once it got past its start: a state from running on, a start
    time, a ledger line or a committed batch. A run that only counted records as unchanged
    leaves no ledger line, so the state and the start time decide, not the ledger. A run that
    never started (draft, mapping confirmed, authorised) has read nothing and does not block.
    Ordering by start time, not by id, gives every pair of runs one order, so that rolling
    back newest first always works.
    """
    Run = run.env["netmera.migration.run"]
    if not has_started(run):
        # Nothing to undo, so nothing a later run could depend on.
        return Run
    own_start = run.started_at or run.create_date
    candidates = Run.search([("id", "!=", run.id), ("state", "!=", "rolled_back")])
    found = Run
    for other in candidates:
        start = other.started_at or other.create_date
        if (start, other.id) <= (own_start, run.id):
            continue
        if has_started(other):
            found |= other
    return found.sorted(lambda other: (other.started_at or other.create_date, other.id), True)


def has_started(run):
    """Return whether the run got past its start and so may have read or written records."""
    return bool(
        run.state in STARTED_STATES or run.started_at or run.ledger_count or run.checkpoint_ids
    )


def later_runs_message(run, runs):
    listed = ", ".join(f'{other.id} ("{other.name}", {other.state})' for other in runs)
    order = ", then ".join(str(other.id) for other in runs)
    return run.env._(
        'Run %(id)s ("%(name)s") cannot be rolled back while later runs that are not rolled '
        "back still exist: %(runs)s. They may have written, updated or counted as unchanged the "
        "records, custom fields, tags and stages of this run, and rolling this run back would "
        "delete them under their feet. Roll them back first, newest first: %(order)s; then roll "
        "back run %(id)s.",
        id=run.id,
        name=run.name,
        runs=listed,
        order=order,
    )


def touched_records(run):
    """Find the run's records that people worked on after the run wrote them.

    Three findings, each a dict with ``count`` and a few ``examples`` (text lines):

    * ``changed``: a record of the run whose write date is later than the run's last ledger
      line (and later than the rollback of any later run that wrote it, since a rollback
      rewrites records too). The user is not compared: a person may well log in with the
      same account the bridge uses.
    * ``messages``: a record the run created that has chatter messages no run's ledger
      created; deleting the record deletes them.
    * ``referenced``: a record the run created that a stored many2one field of another record
      points to. Records this run created or changed do not count. Deleting the target
      empties the field (a lead's customer, a contact's company).

    Schema models are left out: fields and languages are not edited by people record by
    record, and Odoo rewrites them on its own.

    NOTE: a person's edit made before a later run wrote the same record goes unnoticed once
    that later run is rolled back, because its rollback sets a newer write date.
    """
    # Pending ORM writes must reach the tables the queries below read.
    run.env.flush_all()
    cr = run.env.cr
    cr.execute(
        """
        SELECT max(create_date) FROM netmera_migration_ledger
         WHERE run_id = %s AND NOT rolled_back
        """,
        (run.id,),
    )
    mark = cr.fetchone()[0]
    cr.execute(
        """
        SELECT model, bool_or(operation = 'create') FROM netmera_migration_ledger
         WHERE run_id = %s AND NOT rolled_back
         GROUP BY model ORDER BY model
        """,
        (run.id,),
    )
    models = [
        (name, has_creates)
        for name, has_creates in cr.fetchall()
        if name in run.env and name not in SCHEMA_MODELS and _has_table(run.env[name])
    ]
    findings = {
        "changed": {"count": 0, "examples": []},
        "messages": {"count": 0, "examples": []},
        "referenced": {"count": 0, "examples": []},
    }
    for model_name, has_creates in models:
        _find_changed(run, model_name, mark, findings["changed"])
        if has_creates:
            _find_messages(run, model_name, findings["messages"])
            _find_references(run, model_name, findings["referenced"])
    return findings


def touched_total(findings):
    return sum(finding["count"] for finding in findings.values())


def touched_message(run, findings):
    lines = [example for finding in findings.values() for example in finding["examples"][:EXAMPLES]]
    return run.env._(
        'Run %(id)s ("%(name)s") was not rolled back: people worked on its records after the '
        "run wrote them, and a rollback would delete or overwrite that work. %(changed)s "
        "record(s) changed after the run, %(messages)s record(s) have chatter messages not "
        "written by the migration, %(referenced)s reference(s) from other records point to "
        "records the run created. For example:\n%(lines)s\nCheck these records first. To roll "
        "back anyway, call rollback with force=True (netmera-odoo rollback --force, or "
        '{"force": true} in the bridge API); the run\'s chatter then lists what was removed.',
        id=run.id,
        name=run.name,
        changed=findings["changed"]["count"],
        messages=findings["messages"]["count"],
        referenced=findings["referenced"]["count"],
        lines="\n".join(f"- {line}" for line in lines),
    )


def _has_table(model):
    return model._auto and not model._abstract and not model._transient


def _label(env, model_name, res_id):
    record = env[model_name].browse(res_id).exists()
    name = record.display_name if record else "?"
    return f'{model_name} {res_id} "{name}"'


def _find_changed(run, model_name, mark, finding):
    if mark is None or "write_date" not in run.env[model_name]._fields:
        return
    table = run.env[model_name]._table
    run.env.cr.execute(
        f"""
        SELECT t.id, t.write_date, count(*) OVER ()
          FROM {table} t
          JOIN ({_RUN_LINES}) mine ON mine.res_id = t.id
          LEFT JOIN (
                SELECT l.res_id, max(r.rolled_back_at) AS undone_at
                  FROM netmera_migration_ledger l
                  JOIN netmera_migration_run r ON r.id = l.run_id
                 WHERE l.model = %(model)s AND l.run_id <> %(run)s AND r.state = 'rolled_back'
                 GROUP BY l.res_id
          ) later ON later.res_id = t.id
         WHERE t.write_date > GREATEST(%(mark)s, later.undone_at + interval '1 second')
         ORDER BY t.id
         LIMIT %(limit)s
        """,
        {"run": run.id, "model": model_name, "mark": mark, "limit": EXAMPLES},
    )
    rows = run.env.cr.fetchall()
    if rows:
        finding["count"] += rows[0][2]
    for res_id, write_date, _total in rows:
        finding["examples"].append(
            run.env._(
                "%(record)s changed at %(date)s UTC, after the run wrote it",
                record=_label(run.env, model_name, res_id),
                date=write_date.replace(microsecond=0),
            )
        )


def _find_messages(run, model_name, finding):
    if "message_ids" not in run.env[model_name]._fields:
        return
    run.env.cr.execute(
        f"""
        SELECT m.res_id, count(*), count(*) OVER ()
          FROM mail_message m
         WHERE m.model = %(model)s
           AND m.res_id IN ({_RUN_CREATES})
           AND NOT EXISTS (
                SELECT 1 FROM netmera_migration_ledger l
                 WHERE l.model = 'mail.message' AND l.operation = 'create' AND l.res_id = m.id
           )
         GROUP BY m.res_id
         ORDER BY m.res_id
         LIMIT %(limit)s
        """,
        {"run": run.id, "model": model_name, "limit": EXAMPLES},
    )
    rows = run.env.cr.fetchall()
    if rows:
        finding["count"] += rows[0][2]
    for res_id, messages, _total in rows:
        finding["examples"].append(
            run.env._(
                "%(record)s has %(count)s chatter message(s) not written by the migration",
                record=_label(run.env, model_name, res_id),
                count=messages,
            )
        )


def _reference_fields(env, model_name):
    """Stored many2one columns of other tables that point to ``model_name``."""
    fields = env["ir.model.fields"].search(
        [("ttype", "=", "many2one"), ("relation", "=", model_name), ("store", "=", True)],
        order="model, name",
    )
    for field in fields:
        if field.model not in env or field.model.startswith("netmera.migration."):
            continue
        model = env[field.model]
        orm_field = model._fields.get(field.name)
        if not _has_table(model) or not orm_field or not orm_field.store:
            continue
        if orm_field.company_dependent or orm_field.column_type != ("int4", "int4"):
            continue
        yield model, orm_field


def _find_references(run, model_name, finding):
    for model, field in _reference_fields(run.env, model_name):
        run.env.cr.execute(
            f"""
            SELECT t.id, t."{field.name}", count(*) OVER ()
              FROM {model._table} t
             WHERE t."{field.name}" IN ({_RUN_CREATES})
               AND NOT EXISTS (
                    SELECT 1 FROM netmera_migration_ledger l
                     WHERE l.run_id = %(run)s AND l.model = %(source)s AND l.res_id = t.id
                       AND NOT l.rolled_back
               )
             ORDER BY t.id
             LIMIT %(limit)s
            """,
            {"run": run.id, "model": model_name, "source": model._name, "limit": EXAMPLES},
        )
        rows = run.env.cr.fetchall()
        if rows:
            finding["count"] += rows[0][2]
        for res_id, target_id, _total in rows:
            finding["examples"].append(
                run.env._(
                    "%(referrer)s points to %(target)s in its field %(field)s",
                    referrer=_label(run.env, model._name, res_id),
                    target=_label(run.env, model_name, target_id),
                    field=field.string,
                )
            )
