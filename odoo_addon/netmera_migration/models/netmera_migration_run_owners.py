"""The owners import phase and the owner matching that contact rows use."""

import re

from odoo import models

# A plausible address: one "@" with text on both sides. Delivery is not the importer's concern.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")

# Turkish has a dotted and a dotless i in both cases. Python lower-cases "İ" to "i" followed by
# U+0307 COMBINING DOT ABOVE, and "ı" is no "i" at all, so an address typed in a Turkish locale
# (Excel's UPPER turns "ilker" into "İLKER") would never equal the user's "ilker".
TURKISH_I = str.maketrans({"İ": "i", "ı": "i"})


def fold_email(email):
    """Return the form in which two owner emails compare: trimmed, lower case, one kind of i.

    Only the i variants fold together beyond plain lower-casing, so no two addresses that
    differ in any other letter become equal (``casefold`` would make "ß" equal "ss").
    """
    return email.strip().translate(TURKISH_I).lower().replace("i\u0307", "i")


class NetmeraMigrationRun(models.Model):
    _inherit = "netmera.migration.run"

    def _import_phase_owners(self, phase, batch_no, rows):
        """Match panel users to active internal Odoo users by email or login; queue the others.

        An owner without such a user takes the latest decision an earlier run made for the same
        email (a matched user who is still active, or ignored); see ``_carried_decisions``.
        Matched and decided owners count as unchanged (no business record is written); the
        others count in ``queued`` and come back in ``unmatched_owners``.
        """
        result = self._new_batch_result()
        result["queued"] = 0
        owners = []
        for index, row in enumerate(rows):
            values = row.get("values") if isinstance(row, dict) else None
            xml_id = row.get("xml_id") if isinstance(row, dict) else None
            email = values.get("email") if isinstance(values, dict) else None
            if not isinstance(email, str) or not EMAIL_RE.match(email.strip()):
                self._add_row_error(
                    result, index, xml_id, "email", f"Owner email {email!r} is not valid."
                )
                continue
            name = values.get("name") if isinstance(values.get("name"), str) else False
            owners.append((index, xml_id, fold_email(email), name))

        matches = self._match_users_by_email({email for _i, _x, email, _n in owners})
        carried = self._carried_decisions(
            {email for _i, _x, email, _n in owners if email not in matches}
        )
        Queue = self.env["netmera.owner.queue"]
        entries = {
            entry.email: entry
            for entry in Queue.search(
                [("run_id", "=", self.id), ("email", "in", [owner[2] for owner in owners])]
            )
        }
        new_entries = []
        for index, xml_id, email, name in owners:
            user_id = matches.get(email)
            entry = entries.get(email)
            decision = carried.get(email)
            if entry and entry.state == "pending" and user_id:
                entry.write({"state": "matched", "matched_user_id": user_id})
            elif entry and entry.state == "pending" and decision:
                entry.with_context(netmera_carry_over=True).write(decision)
            elif not entry and email not in {vals["email"] for vals in new_entries}:
                vals = {
                    "state": "matched" if user_id else "pending",
                    "matched_user_id": user_id or False,
                }
                if not user_id and decision:
                    vals = decision
                new_entries.append(
                    {"run_id": self.id, "email": email, "name": name, "xml_id": xml_id, **vals}
                )
            decided = user_id or decision or (entry and entry.state != "pending")
            if decided:
                result["unchanged"] += 1
            else:
                result["queued"] += 1
                result["unmatched_owners"].append(
                    {"index": index, "xml_id": xml_id, "email": email, "name": name}
                )
        Queue.with_context(netmera_carry_over=True).create(new_entries)
        return result

    def _carried_decisions(self, emails):
        """Return ``{email: queue values}`` with the latest decision of other runs per email.

        A decision is a queue line of another run of this database that a person matched or
        ignored (or that carried such a decision itself). The newest line wins, so a changed
        mind on a later run carries on from there. A match to a user who is archived since is
        not carried: the owner waits for a new decision. The values name the line they come
        from in ``carried_from_id``, which the owner queue shows.
        """
        if not emails:
            return {}
        lines = self.env["netmera.owner.queue"].search(
            [
                ("run_id", "!=", self.id),
                ("email", "in", list(emails)),
                ("state", "in", ("matched", "ignored")),
            ],
            order="write_date desc, id desc",
        )
        decisions = {}
        for line in lines:
            if line.email in decisions:
                continue
            if line.state == "ignored":
                decisions[line.email] = {"state": "ignored", "matched_user_id": False}
            elif line.matched_user_id.active and not line.matched_user_id.share:
                decisions[line.email] = {
                    "state": "matched",
                    "matched_user_id": line.matched_user_id.id,
                }
            else:
                # The newest decision no longer holds; an older one would be out of date too.
                decisions[line.email] = None
                continue
            decisions[line.email]["carried_from_id"] = line.id
        return {email: values for email, values in decisions.items() if values}

    def rematch_owners(self):
        """Match the run's pending owners again against active internal users.

        A pending owner that has no such user takes a decision another run made since, as in
        the owners phase. An admin unblocks a waiting contacts phase by creating the user after
        the owners phase ran, or by deciding the owner on another run. The bridge calls this on
        every start and before the contacts phase, so it finds such a user without running the
        owners phase again. Returns ``{"matched": n, "pending": [{"email", "name"}, ...]}``
        with the owners still waiting; ``matched`` counts carried decisions too.
        """
        self.ensure_one()
        self._check_manager()
        Queue = self.env["netmera.owner.queue"].sudo()
        pending = Queue.search([("run_id", "=", self.id), ("state", "=", "pending")])
        emails = {fold_email(entry.email) for entry in pending}
        matches = self._match_users_by_email(emails)
        carried = self.sudo()._carried_decisions(emails - set(matches))
        matched = 0
        for entry in pending:
            email = fold_email(entry.email)
            if matches.get(email):
                entry.write({"state": "matched", "matched_user_id": matches[email]})
                matched += 1
            elif carried.get(email):
                entry.with_context(netmera_carry_over=True).write(carried[email])
                matched += 1
        waiting = pending.filtered(lambda entry: entry.state == "pending")
        return {
            "matched": matched,
            "pending": [{"email": entry.email, "name": entry.name or ""} for entry in waiting],
        }

    def _match_users_by_email(self, emails):
        """Return ``{email: user id}`` for the given emails that active internal users have.

        Emails compare in their ``fold_email`` form, and the result keeps the caller's spelling
        as keys. A login match wins over a partner email match; among equals the oldest user
        wins. The query reads every active internal user, a number bounded by the licence
        rather than by the data, because PostgreSQL's ``lower`` depends on the database
        locale and cannot fold the Turkish i.
        """
        if not emails:
            return {}
        self.env["res.users"].flush_model(["login", "active", "share", "partner_id"])
        self.env["res.partner"].flush_model(["email"])
        self.env.cr.execute(
            """
            SELECT u.id, u.login, p.email
              FROM res_users u
              JOIN res_partner p ON p.id = u.partner_id
             WHERE u.active AND NOT u.share
             ORDER BY u.id
            """
        )
        by_login = {}
        by_email = {}
        for user_id, login, email in self.env.cr.fetchall():
            if login:
                by_login.setdefault(fold_email(login), user_id)
            if email:
                by_email.setdefault(fold_email(email), user_id)
        matches = {}
        for email in emails:
            key = fold_email(email)
            user_id = by_login.get(key) or by_email.get(key)
            if user_id:
                matches[email] = user_id
        return matches

    def _resolve_owner_emails(self, emails):
        """Return ``{email: user id or False}`` for the owner emails a contact batch uses.

        The run's queue decides first (a manual match, or ``ignored`` meaning no salesperson);
        other emails match active internal users. Emails absent from the result are unknown.
        """
        by_key = {}
        for email in emails:
            by_key.setdefault(fold_email(email), []).append(email)
        # The queue contains folded emails, but lines written before folding contain plain ones.
        searched = set(by_key) | set(emails)
        decisions = {}
        for entry in self.env["netmera.owner.queue"].search(
            [("run_id", "=", self.id), ("email", "in", list(searched)), ("state", "!=", "pending")]
        ):
            if entry.state == "ignored":
                decision = False
            elif entry.matched_user_id.active:
                decision = entry.matched_user_id.id
            else:
                continue
            for email in by_key.get(fold_email(entry.email), ()):
                decisions[email] = decision
        remaining = {email for email in emails if email not in decisions}
        decisions.update(self._match_users_by_email(remaining))
        return decisions
