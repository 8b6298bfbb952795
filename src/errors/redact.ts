/**
 * The one secret redactor: every error message and log line the library writes goes through it, with one
 * placeholder, {@link REDACTED}. Three rules, each an option: known secrets (API keys, tokens, passwords given
 * to a provider or on the command line), the password of any `scheme://user:password@host` URL, and anything
 * shaped like an API key (`sk-…`, `pk-…`, `rk-…`), in case a key came from somewhere we were not told about.
 */

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";

/** Options of {@link redactSecrets}. */
export interface RedactOptions {
  /** Exact values to remove wherever they appear (missing or short ones are skipped). */
  secrets?: readonly (string | undefined)[];
  /** Secrets shorter than this are skipped, so that a one-letter "password" does not blank the text (default 6). */
  minSecretLength?: number;
  /** Replace the password of every `scheme://user:password@host` (default `true`). */
  urlPasswords?: boolean;
  /** Replace anything shaped like an OpenAI/Anthropic-style API key (default `true`). */
  keyShapes?: boolean;
}

const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@]*@/gi;
const KEY_SHAPE = /\b(sk|pk|rk)-[A-Za-z0-9_-]{12,}/g;

/** `text` with every secret the options name replaced by {@link REDACTED}. */
export function redactSecrets(text: string, options: RedactOptions = {}): string {
  const min = options.minSecretLength ?? 6;
  // Longest first: a secret that contains another is replaced whole.
  const secrets = [...new Set(options.secrets ?? [])]
    .filter((s): s is string => typeof s === "string" && s.length >= min)
    .sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  if (options.urlPasswords !== false) out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
  if (options.keyShapes !== false) out = out.replace(KEY_SHAPE, REDACTED);
  return out;
}

/** Replaces every occurrence of `secret` in `text` (no-op for short or missing secrets), and key-shaped strings. */
export function redact(text: string, secret: string | undefined): string {
  return redactSecrets(text, { secrets: [secret] });
}
