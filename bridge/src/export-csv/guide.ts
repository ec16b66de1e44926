export interface PackageFile {
  file: string;
  model: string;
  rows: number;
  what: string;
  columns: string[];
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
  /** Owner e-mail → number of contacts in the salesperson file. */
  owners: Map<string, number>;
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

/** IMPORT-GUIDE.md: the order of the files, what to create first, and the import options. */
export function renderImportGuide(input: GuideInput): string {
  const fileRows = input.files.map(
    (f, i) => `| ${i + 1} | \`${f.file}\` | \`${f.model}\` | ${f.rows} | ${f.what} |`,
  );
  const fieldRows = input.customFields.map(
    (f) =>
      `| \`${f.name}\` | ${f.ttype} | ${escapeText(f.description)} | ${selectionText(f.selection)} |`,
  );
  const owners = [...input.owners.entries()].map(
    ([email, n]) => `- \`${escapeText(email)}\`: ${n} contacts`,
  );
  const dropped = [...input.dropped.entries()].map(([field, n]) => `- \`${field}\` (${n} rows)`);

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
to countries of Odoo's base module (\`country_id/id\` such as \`base.tr\`).

## 3. Values to know about

- **Formula protection.** A text cell that starts with \`=\`, \`+\`, \`-\`, \`@\`, a tab or a
  carriage return is written with a leading apostrophe (\`'=HYPERLINK(…)\`), so that opening a
  file in a spreadsheet never runs it as a formula. Odoo imports the apostrophe as part of the
  text; search for names starting with \`'\` after the import to review them.
- **Phone numbers** in \`phone\` and \`mobile\` are in E.164 form (\`+905321234567\`) and are not
  prefixed: a plus followed only by digits cannot call a spreadsheet function. Plain numbers in
  numeric fields, negative ones included, are not prefixed either.
- **Salesperson.** \`04_res.partner-salesperson.csv\` sets \`user_id\` by the user's login. Create
  a user for each owner below with that login first, or delete the owner's rows; the importer
  rejects the whole file when one login is unknown.
${owners.length > 0 ? owners.join("\n") : "- (no contact has an owner)"}
- **Not in this package.** Event history, campaign deliveries and survey answers (chatter notes
  and activities) need the bridge's \`migrate\` with API access; journeys, widgets and segment
  rules are in the written inventory. Push tokens never leave the snapshot.
${dropped.length > 0 ? `- **Fields left out** because a CSV import cannot set them:\n${dropped.join("\n")}` : ""}
`;
}
