#!/usr/bin/env bash
# The README's "run it" command: installs, builds, creates ./data on the embedded SQLite store
# (first run only), enables IMAP and POP3 with secure settings (SecureLogin: no password before
# TLS), and runs the server in the foreground. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PORTCULLIS_DATA_DIR="${PORTCULLIS_DATA_DIR:-$PWD/data}"
host="${PORTCULLIS_HOSTNAME:-$(hostname -f 2>/dev/null || hostname)}"
if [ ! -f "$PORTCULLIS_DATA_DIR/portcullis.json" ]; then
  node bin/portcullis.js init --hostname "$host"
  for s in imap4 imap4-backend pop3 pop3-backend; do node bin/portcullis.js service enable "$s"; done
  echo "Quick start: enabled imap4, imap4-backend, pop3, pop3-backend with LoginType SecureLogin."
  echo "Add a user with: node bin/portcullis.js user add you@$host --password-stdin"
fi
exec node bin/portcullis.js serve
