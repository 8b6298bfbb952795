import { existsSync } from "node:fs";

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

/** Whether Chromium can run the browser tests here: it is there, it is missing (skip), or it must be (CI: fail). */
export type ChromiumCheck =
  | { kind: "present" }
  | { kind: "skip"; reason: string }
  | { kind: "missing-on-ci"; reason: string };

const INSTALL = "run `bash scripts/install-chromium.sh` (as root, or with sudo)";

/**
 * Checks for Chromium at `path`. On CI (`CI` set to anything but `""`, `"0"` or `"false"`, as CI services set it)
 * a missing browser is an error, so the only test of the page's streaming and Stop button never silently skips
 * there; elsewhere it is a skip that says why.
 */
export function checkChromium(
  path: string = CHROMIUM,
  env: Record<string, string | undefined> = process.env,
  exists: (file: string) => boolean = existsSync,
): ChromiumCheck {
  if (exists(path)) return { kind: "present" };
  const ci = env.CI !== undefined && !["", "0", "false"].includes(env.CI.trim().toLowerCase());
  return ci
    ? {
        kind: "missing-on-ci",
        reason: `CI is set but Chromium is not at ${path}: ${INSTALL} before the tests`,
      }
    : { kind: "skip", reason: `Chromium is not at ${path}; ${INSTALL}` };
}

/** In a browser test: throws with the reason when Chromium is missing on CI. */
export function requireChromium(check: ChromiumCheck): void {
  if (check.kind === "missing-on-ci") throw new Error(check.reason);
}
