#!/usr/bin/env bash
# Run the main job on the bundled sample snapshot, from discovery to the written inventory.
# Results go to out/demo (or the folder given as the first argument). Nothing is written to Odoo.
set -euo pipefail
cd "$(dirname "$0")/.."

snapshot=samples/small
out=${1:-out/demo}
cli=(node --max-old-space-size=256 bridge/bin/netmera-odoo.js)

step() {
  printf '\n== %s\n' "$*"
}

npm run build --silent
rm -rf "$out"
mkdir -p "$out"

# The sample's Istanbul export is Windows-1254 without a byte-order mark. Stating it spares the
# warning that audit and map give for a guessed single-byte encoding.
encoding=(--encoding users/segment-istanbul.csv=windows-1254)

step "audit: what the snapshot holds"
"${cli[@]}" audit "$snapshot" --out "$out" "${encoding[@]}"

step "map: propose the mapping"
"${cli[@]}" map "$snapshot" --out "$out" "${encoding[@]}"

step "map --confirm: a person confirms it (here the demo itself)"
"${cli[@]}" map "$snapshot" --confirm --by "demo" --mapping "$out/mapping.json"

step "plan: transform and validate into Odoo-ready rows"
"${cli[@]}" plan "$snapshot" --mapping "$out/mapping.json" --out "$out"

step "export-csv: Odoo import package for instances without API access"
"${cli[@]}" export-csv "$snapshot" --plan "$out" --out "$out/odoo-import"

step "inventory: what cannot migrate, as HTML and PDF"
if command -v "${CHROMIUM_PATH:-chromium}" >/dev/null; then
  "${cli[@]}" inventory "$snapshot" --plan "$out" --out "$out"
else
  echo "skipped: Chromium not found (install it with: apt-get install chromium)"
fi

step "done"
echo "results in $out: audit.md, mapping.json, plan/, quarantine.csv, reconciliation.json,"
echo "odoo-import/, inventory.html, inventory.pdf"
