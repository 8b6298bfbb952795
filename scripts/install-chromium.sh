#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (test/server/web-page.test.ts) and scripts/screenshot.ts.
# Idempotent: does nothing when /usr/bin/chromium is already there, and is safe to run again after a failure.
# Refreshes the package lists first (a fresh machine or container has none). Needs root, or sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-chromium: Chromium is missing and installing it needs root: run this script as root or install sudo." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: no apt-get here: install Chromium at /usr/bin/chromium with this system's package manager." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
if [ ! -x /usr/bin/chromium ]; then
  echo "install-chromium: apt-get finished but /usr/bin/chromium is not there." >&2
  exit 1
fi
