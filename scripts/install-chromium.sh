#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (test/server/web-page.test.ts) and scripts/screenshot.ts.
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (as on CI and dev machines).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium
