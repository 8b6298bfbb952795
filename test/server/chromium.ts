/** Debian's Chromium; `scripts/install-chromium.sh` (run by .ci/run) installs it. */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a headless, sandbox-free, network-quiet Chromium. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
