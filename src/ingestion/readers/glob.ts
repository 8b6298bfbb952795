/**
 * Compiles a glob to a RegExp matching `/`-separated relative paths: `*` (any characters but `/`), `?` (one
 * such character), `**` as a whole segment (any number of directories), `[abc]` / `[!abc]` classes. A pattern
 * without a `/` matches a name at any depth (like `.gitignore`); a leading `/` anchors it to the root.
 * (Node 20's `path.matchesGlob` prints an ExperimentalWarning, hence this small version.)
 *
 * @example
 * ```ts
 * globToRegExp("*.log").test("logs/app.log"); // true
 * globToRegExp("drafts/**").test("drafts/a/b.md"); // true
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  let glob = pattern.replace(/\\/g, "/");
  const anchored = glob.startsWith("/") || glob.replace(/\/+$/, "").includes("/");
  glob = glob.replace(/^\/+/, "").replace(/\/+$/, "");
  const segments = glob.split("/");
  let source = anchored ? "^" : "^(?:[^/]+/)*";
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "**") {
      source += last ? ".*" : "(?:[^/]+/)*";
      return;
    }
    source += segmentSource(segment) + (last ? "" : "/");
  });
  return new RegExp(`${source}$`);
}

function segmentSource(segment: string): string {
  let out = "";
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === "*") {
      while (segment[i + 1] === "*") i++;
      out += "[^/]*";
    } else if (ch === "?") out += "[^/]";
    else if (ch === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close === -1) out += "\\[";
      else {
        let body = segment.slice(i + 1, close);
        const negate = body.startsWith("!") || body.startsWith("^");
        if (negate) body = body.slice(1);
        out += `[${negate ? "^/" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
        i = close;
      }
    } else out += ch.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}

/** Whether the relative path `rel` (with `/` separators) matches one of `globs`. */
export function matchesAny(rel: string, globs: readonly RegExp[]): boolean {
  for (const glob of globs) if (glob.test(rel)) return true;
  return false;
}
