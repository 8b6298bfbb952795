/**
 * What a spawned test process may inherit from the developer's environment: enough to find node, a home and a
 * temporary directory, nothing that configures streamdex or a provider.
 */
const KEEP = [
  "PATH",
  "HOME",
  "USERPROFILE",
  "TMPDIR",
  "TMP",
  "TEMP",
  "SystemRoot",
  "ComSpec",
  "PATHEXT",
  "LANG",
  "LC_ALL",
  "NODE_OPTIONS",
  "NODE_EXTRA_CA_CERTS",
];

/**
 * An environment for a spawned test process: the essentials of `process.env` (see `KEEP`), never
 * `STREAMDEX_*`, `OPENAI_*`, `PG*` or `HF_*` (which would change what the test tests), plus `extra` (an
 * `undefined` value removes a variable).
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of KEEP) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
