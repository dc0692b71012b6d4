#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every unit and end-to-end test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
