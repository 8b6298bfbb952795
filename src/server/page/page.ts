import { createHash } from "node:crypto";
import { PAGE_SCRIPT } from "./page-script.js";
import { PAGE_STYLE } from "./page-style.js";

/**
 * The web page served at `GET /`: a question box, the answer streamed as it is written, its sources, and a
 * Stop button. A reasoning model's reasoning streams into a collapsible "Reasoning" block above the answer (open
 * while the model reasons, folded when the answer starts unless the reader toggled it). "Cite sources" (ticked by
 * default) asks for citations: each `[n]` in the answer becomes a link to source card n as soon as it is written,
 * and a marker with no source is struck out. Self-contained (inline CSS and JS, nothing fetched but the API), no
 * build step.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>streamdex</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>streamdex</h1>
<p>Ask a question about the indexed documents; the answer streams in as it is written.</p>
<form id="ask-form">
  <label for="question">Question</label>
  <textarea id="question" name="question" rows="2" required
    placeholder="What did the author do growing up?"></textarea>
  <div id="token-row" hidden>
    <label for="token">Access token</label>
    <input id="token" type="password" autocomplete="off" spellcheck="false">
  </div>
  <div class="row">
    <button id="ask" type="submit">Ask</button>
    <button id="stop" type="button" class="secondary" disabled>Stop</button>
    <label class="check" for="cite"><input id="cite" type="checkbox" checked> Cite sources</label>
    <p id="status" role="status" aria-live="polite">Ready.</p>
  </div>
</form>
<section aria-labelledby="answer-heading">
  <h2 id="answer-heading">Answer</h2>
  <details id="reasoning-block" hidden>
    <summary>Reasoning <span id="reasoning-note"></span></summary>
    <div id="reasoning" data-state="idle"></div>
  </details>
  <div id="answer" data-state="idle"></div>
</section>
<section aria-labelledby="sources-heading">
  <h2 id="sources-heading">Sources</h2>
  <p id="sources-empty" class="snippet">None yet.</p>
  <ol id="sources"></ol>
</section>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;

/** The page's Content-Security-Policy: its own inline style and script (by hash), and fetches to itself only. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src '${sha256(PAGE_SCRIPT)}'`,
  `style-src '${sha256(PAGE_STYLE)}'`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function sha256(text: string): string {
  return `sha256-${createHash("sha256").update(text, "utf8").digest("base64")}`;
}
