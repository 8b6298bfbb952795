/** The page's stylesheet (inlined; allowed by hash in the page's CSP). */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --fg: #1c1f24; --muted: #5b6470; --bg: #f7f7f5; --card: #fff;
  --line: #dcdcd6; --accent: #2457c5; --err: #b3261e; font: 16px/1.55 system-ui, sans-serif; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e6e3; --muted: #a0a6ae; --bg: #15171a; --card: #1d2024;
  --line: #33373d; --accent: #8fb0ff; --err: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
h1 { font-size: 1.5rem; margin: 0; }
h1 + p { margin: .25rem 0 1.5rem; color: var(--muted); }
h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 1.75rem 0 .5rem; }
label { display: block; font-weight: 600; margin-bottom: .35rem; }
textarea, input { width: 100%; font: inherit; color: inherit; background: var(--card); border: 1px solid var(--line);
  border-radius: .5rem; padding: .6rem .75rem; }
textarea { resize: vertical; min-height: 4.5rem; }
textarea:focus, input:focus, button:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.row { display: flex; gap: .5rem; align-items: center; margin-top: .6rem; }
button { font: inherit; font-weight: 600; border-radius: .5rem; padding: .45rem 1.1rem; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--bg); }
button.secondary { background: transparent; color: var(--accent); }
button:disabled { opacity: .45; cursor: default; }
#token-row { margin-top: .9rem; }
#status { margin: 0 0 0 auto; color: var(--muted); font-size: .9rem; }
#status.error { color: var(--err); }
#answer { white-space: pre-wrap; background: var(--card); border: 1px solid var(--line); border-radius: .6rem;
  padding: .9rem 1rem; min-height: 3.2rem; }
#answer:empty::before { content: "The answer appears here as it is written."; color: var(--muted); }
#answer[data-state="streaming"]::after { content: "▍"; color: var(--accent); }
#reasoning-block { margin-bottom: .6rem; border: 1px dashed var(--line); border-radius: .6rem; padding: .45rem 1rem;
  color: var(--muted); font-size: .92rem; }
#reasoning-block summary { cursor: pointer; font-weight: 600; }
#reasoning-block summary:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
#reasoning-note { font-weight: 400; }
#reasoning { white-space: pre-wrap; margin: .4rem 0 .2rem; font-style: italic; }
#reasoning[data-state="streaming"]::after { content: "▍"; color: var(--muted); font-style: normal; }
#sources { list-style: none; padding: 0; margin: 0; display: grid; gap: .5rem; }
#sources li { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .6rem .9rem; }
.source-head { display: flex; justify-content: space-between; gap: 1rem; font-weight: 600; }
.score { color: var(--muted); font-weight: 400; font-variant-numeric: tabular-nums; }
.snippet { margin: .25rem 0 0; color: var(--muted); font-size: .9rem; }
label.check { display: inline-flex; align-items: center; gap: .35rem; margin: 0 0 0 .4rem; font-weight: 400;
  color: var(--muted); cursor: pointer; white-space: nowrap; }
label.check input { width: auto; margin: 0; accent-color: var(--accent); }
a.cite-link { color: var(--accent); font-weight: 600; text-decoration: none; border-radius: .25rem; padding: 0 .08rem; }
a.cite-link:hover, a.cite-link.hovered, a.cite-link:focus-visible { text-decoration: underline;
  background: color-mix(in srgb, var(--accent) 16%, transparent); }
a.cite-link:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
s.cite-missing { color: var(--err); cursor: help; text-decoration-thickness: 2px; }
#sources li { scroll-margin: 1rem; transition: border-color .15s, box-shadow .15s; }
#sources li.picked { border-color: var(--accent); }
#sources li.hovered { border-color: var(--accent); background: color-mix(in srgb, var(--accent) 7%, var(--card));
  box-shadow: 0 0 0 2px color-mix(in srgb, var(--accent) 30%, transparent); }
.cite-group { white-space: nowrap; }
.source-number { color: var(--accent); font-variant-numeric: tabular-nums; }
`;
