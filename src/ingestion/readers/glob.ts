import picomatch from "picomatch";
import { InvalidArgumentError } from "../../errors/index.js";
import { messageOf } from "../../errors/message-of.js";

/**
 * picomatch with the rules of a `.gitignore`-like exclude list: `*` and `**` match names starting with `.` too,
 * `[!abc]` negates a class like `[^abc]`, `/` is the only separator on every platform (`\` escapes), and an
 * unbalanced `{`, `[` or `(` is an error instead of a literal character.
 */
const OPTIONS: picomatch.PicomatchOptions = { dot: true, posix: true, strictBrackets: true, windows: false };

/**
 * Compiles a glob to a RegExp matching `/`-separated relative paths: a thin wrapper on picomatch (bash globs:
 * `*`, `?`, `**`, `[abc]` / `[!abc]`, `{a,b}` / `{1..3}`, extglobs like `@(a|b)`; `\` escapes a special
 * character, e.g. `\(`). A pattern without a `/` (a trailing one aside) matches a name at any depth (like
 * `.gitignore`); a leading `/` anchors it to the root. `*` and `**` match names starting with `.` too.
 *
 * @param argument The option named in the error (default `"glob"`).
 * @throws InvalidArgumentError when the pattern is invalid: an unbalanced `{`, `[` or `(`, a leading `!` (a
 *   negation, which would match every other path), or nothing but slashes.
 * @example
 * ```ts
 * globToRegExp("*.{log,tmp}").test("logs/app.log"); // true
 * globToRegExp("drafts/**").test("drafts/a/b.md"); // true
 * ```
 */
export function globToRegExp(pattern: string, argument = "glob"): RegExp {
  const invalid = (why: string) =>
    new InvalidArgumentError(argument, `"${pattern}" is not a valid glob: ${why}.`);
  const trimmed = pattern.replace(/\/+$/, "");
  const anchored = trimmed.includes("/");
  const glob = trimmed.replace(/^\/+/, "");
  if (glob === "") throw invalid("it names no file or directory");
  if (/^!(?!\()/.test(glob)) {
    throw invalid(
      'a leading "!" negates the pattern (it would match every other path); list only what to match, ' +
        'and write "\\!" for a name that starts with "!"',
    );
  }
  try {
    return picomatch.makeRe(anchored ? glob : `**/${glob}`, OPTIONS);
  } catch (error) {
    throw invalid(explain(messageOf(error)));
  }
}

const CLOSING: Record<string, string> = { "{": "}", "[": "]", "(": ")" };

/** picomatch's error as what is wrong and what to do (its hint for a `{` never closed is to escape the `}`). */
function explain(message: string): string {
  const missing = /^Missing (opening|closing): "(.)"/.exec(message);
  if (!missing) return message.charAt(0).toLowerCase() + message.slice(1);
  const given = missing[2]!; // the closing character that is missing, or the opening one
  if (missing[1] === "closing") {
    const opening = Object.keys(CLOSING).find((open) => CLOSING[open] === given) ?? given;
    return `"${opening}" is never closed: add "${given}", or write "\\${opening}" for a literal "${opening}"`;
  }
  const closing = CLOSING[given] ?? given;
  return `"${closing}" has no opening "${given}": write "\\${closing}" for a literal "${closing}"`;
}

/** Whether the relative path `rel` (with `/` separators) matches one of `globs`. */
export function matchesAny(rel: string, globs: readonly RegExp[]): boolean {
  for (const glob of globs) if (glob.test(rel)) return true;
  return false;
}
