import { ADDRESS_FILE } from "./addresses.js";
import { OWNERS_FILE, type Owner } from "./owners.js";

export interface PackageFile {
  file: string;
  model: string;
  rows: number;
  what: string;
  columns: string[];
  /** A step the user may skip; the guide explains it apart from the import order. */
  optional?: boolean;
}

export interface GuideInput {
  files: PackageFile[];
  customFields: {
    name: string;
    ttype: string;
    description: string;
    selection?: [string, string][];
  }[];
  languages: string[];
  /** Owners of contacts in the salesperson file, sorted by e-mail. */
  owners: Owner[];
  /** Plan fields a CSV import cannot set, with row counts. */
  dropped: Map<string, number>;
  snapshotHash: string;
  mappingHash: string;
}

function escapeText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([|`*_[\]\\])/g, "\\$1");
}

function selectionText(selection: [string, string][] | undefined): string {
  return selection
    ? selection.map(([value, label]) => `${value} (${escapeText(label)})`).join(", ")
    : "";
}

function ownerLine(owner: Owner): string {
  const name = owner.name ? ` (${escapeText(owner.name)})` : "";
  const login = owner.login === owner.email ? "" : `, login \`${escapeText(owner.login)}\``;
  return `- \`${escapeText(owner.email)}\`${name}: ${owner.contacts} contacts${login}`;
}

function salespersonSection(input: GuideInput, salesperson: PackageFile | undefined): string {
  if (!salesperson) {
    return `## 5. Salespeople

No contact has an owner, so the package sets no salesperson.
`;
  }
  const owners = input.owners.map(ownerLine);
  return `## 5. Linking salespeople (optional, last)

The contact files do not set a salesperson, so they import whether or not the owners have an
Odoo user. \`${salesperson.file}\` (${salesperson.rows} rows, columns \`id\` and
\`user_id\`) sets the salesperson of each contact in a separate import afterwards. Import it
into **Contacts** like the other files, or leave it out.

Odoo's importer looks up \`user_id\` as the exact login of a user, then as the exact name of a
user. It does not look at the user's e-mail. When one value matches no user, the importer
imports nothing from the whole file and lists the rows it could not match. The file names
these owners, with their Netmera e-mail:

${owners.join("\n")}

\`${OWNERS_FILE}\` lists the same owners (\`owner_email\`, \`name\`, \`contacts\`,
\`odoo_login\`). It holds no push token or other secret. Choose one of these ways:

1. **Login is the e-mail.** Give each owner an Odoo user whose login is the e-mail above
   (Settings → Users & Companies → Users), then import the file.
2. **Login is something else.** Write each user's Odoo login, or the user's exact name, in
   the \`odoo_login\` column of \`${OWNERS_FILE}\`. Leave it empty where the login is the
   e-mail. Run export-csv again into a new folder with \`--owner-logins ${OWNERS_FILE}\`, and
   the new \`${salesperson.file}\` names those logins. Replacing the e-mail by the login in
   the \`user_id\` column by hand works too.
3. **Some owners have no user.** Press **Test**. For a column with values it cannot match,
   the importer offers a choice of what to do with them. Choose **Skip record**: the rows
   of matched owners are imported and the other contacts keep no salesperson. **Set value
   as empty** imports those rows with an empty salesperson, which clears one set earlier.
   Leave **Create new values** alone: a salesperson needs a real user.
`;
}

/** IMPORT-GUIDE.md: the order of the files, what to create first, and the import options. */
export function renderImportGuide(input: GuideInput): string {
  const steps = input.files.filter((f) => !f.optional);
  const salesperson = input.files.find((f) => f.optional);
  const fileRows = steps.map(
    (f, i) => `| ${i + 1} | \`${f.file}\` | \`${f.model}\` | ${f.rows} | ${f.what} |`,
  );
  const fieldRows = input.customFields.map(
    (f) =>
      `| \`${f.name}\` | ${f.ttype} | ${escapeText(f.description)} | ${selectionText(f.selection)} |`,
  );
  const dropped = [...input.dropped.entries()].map(([field, n]) => `- \`${field}\` (${n} rows)`);
  const addresses = steps.find((f) => f.file === ADDRESS_FILE);

  return `# Importing the Netmera data with Odoo's own importer

This package is for an Odoo database that the bridge cannot reach over XML-RPC. Every file
is a UTF-8 CSV file (comma separator, \`"\` quotes, no byte-order mark) whose header row holds
Odoo field names, so the importer maps the columns by itself. Records carry external IDs in the
\`__import__\` module, the same IDs a later \`netmera-odoo migrate\` uses, so importing again
updates the records instead of duplicating them.

Built from plan with snapshot hash \`${input.snapshotHash}\` and confirmed mapping
\`${input.mappingHash}\`.

## 1. Before importing

1. Activate Developer mode (Settings → Activate the developer mode).
2. Create these custom fields on **Contact** (Settings → Technical → Fields → New; model
   \`res.partner\`). Use exactly the field name below; Odoo requires the \`x_\` prefix for
   custom fields.

| field name | type | label | selection values (value (label)) |
|---|---|---|---|
${fieldRows.join("\n")}

${
  input.languages.length > 0
    ? `3. Activate these languages (Settings → Languages), or the \`lang\` column is rejected: ${input.languages.map((l) => `\`${l}\``).join(", ")}.`
    : "3. No language needs to be activated."
}

## 2. Import order

Import the files in this order (Contacts → Favorites → Import records → Load file; for
\`05_utm.campaign.csv\` use CRM → Configuration → Campaigns). Keep the importer's defaults:
encoding UTF-8, separator comma, text delimiter \`"\`, date format \`%Y-%m-%d\`.

| step | file | model | rows | contents |
|---|---|---|---|---|
${fileRows.join("\n")}

Each file refers only to records from earlier files (\`parent_id/id\`, \`category_id/id\`), or
to countries of Odoo's base module (\`country_id/id\` such as \`base.tr\`). When you import a
file again, import every later file of this table again too.

## 3. Addresses of contacts in a company

Odoo 18's importer changes addresses in three ways. When it creates a contact linked to a
company (\`parent_id/id\`), it copies each address field that the company has (street,
street2, zip, city, state, country) over the contact's own. When an import sets \`parent_id\`
on an existing contact, it copies the company's whole address if the company has any address
field. When a company without an address gets its first contact, Odoo gives the company that
contact's address.

${
  addresses
    ? `\`${addresses.file}\` puts the plan's addresses back. It sets all six fields of each
contact that is linked to a company and has an address of its own, and leaves empty the fields
that contact lacks. Companies without an address in the plan but with such a contact come
first, with empty cells, because Odoo may have given them that contact's address. A contact
linked to a company without any address of its own is not in the file and keeps the company's
address, as Odoo gives it. Import this file after \`03_res.partner.csv\`, and again after each
new import of \`03_res.partner.csv\`.
`
    : `No contact is linked to a company with an address of its own, so the package has no
address file. Contacts linked to a company take its address, as Odoo gives it.
`
}
## 4. Values to know about

- **Formula protection.** A text cell that starts with \`=\`, \`+\`, \`-\`, \`@\`, a tab or a
  carriage return is written with a leading apostrophe (\`'=HYPERLINK(…)\`), so that opening a
  file in a spreadsheet never runs it as a formula. Odoo imports the apostrophe as part of the
  text; search for names starting with \`'\` after the import to review them.
- **Phone numbers** in \`phone\` and \`mobile\` are in E.164 form (\`+905321234567\`) and are not
  prefixed: a plus followed only by digits cannot call a spreadsheet function. Plain numbers in
  numeric fields, negative ones included, are not prefixed either.
- **Not in this package.** Event history, campaign deliveries and survey answers (chatter notes
  and activities) need the bridge's \`migrate\` with API access; journeys, widgets and segment
  rules are in the written inventory. Push tokens never leave the snapshot.
${dropped.length > 0 ? `- **Fields left out** because a CSV import cannot set them:\n${dropped.join("\n")}\n` : ""}
${salespersonSection(input, salesperson)}`;
}
