#!/usr/bin/env bash
# Run the main job on the bundled sample snapshot; results go to out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
node bridge/bin/netmera-odoo.js --help
