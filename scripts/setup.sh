#!/usr/bin/env bash
# Installs everything Portcullis and its tests need on a fresh Debian machine with Node.js 20:
# the npm packages (better-sqlite3 builds from source against Node's headers) and the Debian
# packages the end-to-end tests drive as real peers: mbsync (isync), fetchmail, testssl.sh,
# openssl, curl, chromium (the web console test), slapd + ldap-utils (a throwaway OpenLDAP for
# the directory tests, never configured as a service), dovecot-core (only `doveadm pw`, which makes
# the Dovecot hashes the hash-import test imports), and Postfix (an MTA delivering over LMTP and a smarthost; installed with "No
# configuration": the tests run it from throwaway config dirs, it is never started as a service).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v mbsync >/dev/null 2>&1 || need+=(isync)
command -v fetchmail >/dev/null 2>&1 || need+=(fetchmail)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v testssl >/dev/null 2>&1 || need+=(testssl.sh)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapadd >/dev/null 2>&1 || need+=(ldap-utils)
command -v doveadm >/dev/null 2>&1 || need+=(dovecot-core)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages: ${need[*]}" >&2
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.json
