/**
 * The page's script (inlined; allowed by hash in the page's CSP): posts the question to `api/query`, reads the
 * server-sent events with a stream reader and renders the answer as it grows. `reasoning` events go to the
 * "Reasoning" block (shown at the first one, open while the model reasons, folded at the first answer delta
 * unless the reader opened or closed it meanwhile), never into the answer. `progress` events (a multi-call mode's
 * earlier calls) show in the status line: "Refining 2/4…". Stop aborts the fetch, which closes the
 * connection, which aborts the provider request on the server. With "Cite sources" ticked the question asks for
 * `citations`: each `citation` event turns its marker, already on screen, into a link to its source card (hover or
 * focus highlights the card, a click scrolls to it and keeps it highlighted), or strikes it out when it cites no
 * source (`nodeId` null), with a title saying so. A dropped connection is resumed: the page keeps the answer's id
 * (`x-answer-id`, or the first event) and the id of the last event it rendered, and asks `api/answers/<id>` for the
 * rest with `Last-Event-ID` (a few tries, backing off), so nothing is repeated or lost. Stop also posts
 * `api/answers/<id>/stop`, as the server keeps an answer whose client went away running for a while.
 */
export const PAGE_SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const form = $("ask-form"), question = $("question"), askButton = $("ask"), stopButton = $("stop");
const statusLine = $("status"), answer = $("answer"), sources = $("sources"), tokenRow = $("token-row");
const reasoningBlock = $("reasoning-block"), reasoning = $("reasoning"), reasoningNote = $("reasoning-note");
const cite = $("cite");
let controller = null;
/** The answer being read: its id (for resuming and stopping), the id of the last event rendered, whether it ended. */
let current = null;
/** Whether the reader opened or closed the Reasoning block during this answer (then it is left as they set it). */
let reasoningToggled = false;
reasoningBlock.querySelector("summary").addEventListener("click", () => {
  reasoningToggled = true;
});

function resetReasoning() {
  reasoning.replaceChildren(document.createTextNode(""));
  reasoning.dataset.state = "idle";
  reasoningNote.textContent = "";
  reasoningBlock.hidden = true;
  reasoningBlock.open = false;
  reasoningToggled = false;
}

/** The reasoning stopped streaming (the answer resumed, or ended): the summary says how long it is. */
function endReasoning() {
  if (reasoning.dataset.state !== "streaming") return;
  reasoning.dataset.state = "done";
  reasoningNote.textContent = "· " + words(reasoning.textContent);
}

function words(text) {
  const n = text.trim() === "" ? 0 : text.trim().split(/\\s+/).length;
  return n === 1 ? "1 word" : n + " words";
}

function setStatus(text, isError) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", Boolean(isError));
}

/** A multi-call mode's earlier calls: "Refining 2/4…", "Summarizing level 1 (3/5)…". */
function progressText(p) {
  if (p.level !== null && p.level !== undefined) {
    return "Summarizing level " + p.level + " (" + p.done + "/" + p.total + ")…";
  }
  return "Refining " + p.step + "/" + p.total + "…";
}

function setBusy(busy) {
  askButton.disabled = busy;
  stopButton.disabled = !busy;
}

/** The source cards by node id (what a citation's nodeId names). */
let cards = new Map();

function renderSources(list) {
  sources.replaceChildren();
  cards = new Map();
  list.forEach((source, i) => {
    const item = document.createElement("li");
    const number = typeof source.number === "number" ? source.number : i + 1;
    item.id = "source-" + number;
    item.dataset.nodeId = source.id;
    cards.set(source.id, item);
    const head = document.createElement("div");
    head.className = "source-head";
    const title = document.createElement("span");
    if (typeof source.number === "number") {
      const badge = document.createElement("span");
      badge.className = "source-number";
      badge.textContent = "[" + source.number + "]";
      title.append(badge, " ");
    }
    const name = document.createElement("span");
    name.className = "file-name";
    name.textContent = (source.metadata && source.metadata.file_name) || source.id;
    title.append(name);
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = typeof source.score === "number" ? "score " + source.score.toFixed(3) : "";
    head.append(title, score);
    const snippet = document.createElement("p");
    snippet.className = "snippet";
    const text = source.text.replace(/\\s+/g, " ").trim();
    snippet.textContent = text.length > 220 ? text.slice(0, 220) + "…" : text;
    item.append(head, snippet);
    sources.append(item);
  });
  $("sources-empty").hidden = list.length > 0;
}

/*
 * The answer as it streams: the text after the last citation group is one text node, \`tail\`, which starts at
 * offset \`tailStart\` of the answer. A citation event comes right after the delta that completes its marker, so its
 * group [start, end) is in the tail: the tail is split there and the group replaced by a link (or a struck-out
 * marker). A group of several numbers ("[1, 3]", "[1-3]") gets one event per number, with the same offsets: each
 * number written in it becomes its own link.
 */
let tail = document.createTextNode(""), tailStart = 0, group = null, citationCount = 0, missingCount = 0;

function resetAnswer() {
  tail = document.createTextNode("");
  tailStart = 0;
  group = null;
  citationCount = 0;
  missingCount = 0;
  answer.replaceChildren(tail);
}

function addCitation(c) {
  citationCount++;
  if (c.nodeId === null) missingCount++;
  if (group && group.start === c.start && group.end === c.end) {
    if (group.el.classList.contains("cite-group")) linkNumber(group.el, c);
    return;
  }
  const from = c.start - tailStart, to = c.end - tailStart;
  if (from < 0 || to > tail.length || from >= to) return; // not in the text on screen: leave the text as it is
  const written = tail.splitText(from);
  tail = written.splitText(to - from);
  tailStart = c.end;
  let el;
  if (/^\\[\\s*\\d+\\s*\\]$/.test(written.data)) el = citationMark(c, written.data);
  else {
    el = document.createElement("span");
    el.className = "cite-group";
    el.textContent = written.data;
    linkNumber(el, c);
  }
  written.replaceWith(el);
  group = { start: c.start, end: c.end, el };
}

/** In a group of several numbers, the first bare number equal to the marker becomes its link. */
function linkNumber(el, c) {
  for (const node of Array.from(el.childNodes)) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    const re = /\\d+/g;
    let m;
    while ((m = re.exec(node.data)) !== null) {
      if (Number(m[0]) !== c.marker) continue;
      const digits = node.splitText(m.index);
      digits.splitText(m[0].length);
      digits.replaceWith(citationMark(c, m[0]));
      return;
    }
  }
}

/** A marker as a link to its source card, or struck out when it cites no source. */
function citationMark(c, text) {
  const card = c.nodeId === null ? null : cards.get(c.nodeId) || $("source-" + c.marker);
  if (!card) {
    const missing = document.createElement("s");
    missing.className = "cite-missing";
    missing.dataset.marker = String(c.marker);
    missing.textContent = text;
    const n = sources.children.length;
    missing.title = "No such source: [" + c.marker + "] cites none of the " + n + (n === 1 ? " source" : " sources");
    return missing;
  }
  const link = document.createElement("a");
  link.className = "cite-link";
  link.href = "#" + card.id;
  link.dataset.marker = String(c.marker);
  link.textContent = text;
  link.title = "Source " + c.marker + ": " + card.querySelector(".file-name").textContent;
  return link;
}

function cardOf(link) {
  return $(link.getAttribute("href").slice(1));
}

/** Highlights a link's card (hover, focus), or a card's links. */
function highlight(target, on) {
  const link = target.closest && target.closest("a.cite-link");
  if (link) {
    const card = cardOf(link);
    if (card) card.classList.toggle("hovered", on);
    return;
  }
  const card = target.closest && target.closest("#sources li");
  if (!card) return;
  for (const a of answer.querySelectorAll('a.cite-link[href="#' + card.id + '"]')) a.classList.toggle("hovered", on);
}

answer.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.cite-link");
  if (!link) return;
  event.preventDefault();
  const card = cardOf(link);
  if (!card) return;
  for (const item of sources.children) item.classList.toggle("picked", item === card);
  card.scrollIntoView({ block: "nearest", behavior: "smooth" });
});
for (const el of [answer, sources]) {
  el.addEventListener("mouseover", (event) => highlight(event.target, true));
  el.addEventListener("mouseout", (event) => highlight(event.target, false));
  el.addEventListener("focusin", (event) => highlight(event.target, true));
  el.addEventListener("focusout", (event) => highlight(event.target, false));
}

/** ", 2 citations (1 with no source)" once the answer is done; "" when it cited nothing. */
function citationNote() {
  if (citationCount === 0) return "";
  const note = " · " + citationCount + (citationCount === 1 ? " citation" : " citations");
  return missingCount === 0 ? note : note + " (" + missingCount + " with no source)";
}

/** The Authorization header for the token typed in, if any. */
function authHeaders() {
  const token = $("token").value.trim();
  return token ? { authorization: "Bearer " + token } : {};
}

/** The error message of a failed response. */
async function problemOf(res) {
  const problem = await res.json().catch(() => null);
  return (problem && problem.error && problem.error.message) || res.status + " " + res.statusText;
}

/** Waits \`ms\` (or until Stop). */
function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/**
 * Reads the answer's events from \`body\` to its end (done, error or cancelled), resuming from the last event
 * rendered when the connection drops (a network error, or a body that ends early): up to 6 tries in a row.
 */
async function follow(body, onEvent, signal) {
  let tries = 0;
  for (;;) {
    try {
      if (!body) {
        const res = await fetch("api/answers/" + encodeURIComponent(current.answerId), {
          headers: { ...authHeaders(), "last-event-id": String(current.lastEventId) },
          cache: "no-store",
          signal,
        });
        if (!res.ok) throw new Error("The connection dropped and the answer cannot be resumed: " + (await problemOf(res)));
        body = res.body;
        setStatus("Writing the answer…");
      }
      await readEvents(body, (event, data, id) => {
        tries = 0; // the connection works again
        onEvent(event, data, id);
      });
    } catch (error) {
      if (!(error instanceof TypeError) || signal.aborted) throw error; // a network error is worth a resume
    }
    if (current.ended) return;
    if (!current.answerId || ++tries > 6) throw new Error("The connection dropped and the answer could not be resumed.");
    body = null;
    setStatus("Connection lost: resuming…");
    await pause(Math.min(4000, 250 * 2 ** (tries - 1)), signal);
  }
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value.replace(/\\r\\n?/g, "\\n");
    let end;
    while ((end = buffer.indexOf("\\n\\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message", data = "", id = null;
      for (const line of block.split("\\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trimStart();
        else if (line.startsWith("id:")) id = Number(line.slice(3).trim());
      }
      if (data) onEvent(event, JSON.parse(data), id);
    }
  }
}

async function ask() {
  const query = question.value.trim();
  if (!query) {
    setStatus("Type a question first.", true);
    question.focus();
    return;
  }
  controller = new AbortController();
  resetAnswer();
  answer.dataset.state = "waiting";
  resetReasoning();
  let answering = false;
  renderSources([]);
  setBusy(true);
  setStatus("Searching the documents…");
  const headers = { "content-type": "application/json", ...authHeaders() };
  let usage = null;
  const signal = controller.signal;
  current = { answerId: null, lastEventId: 0, ended: false };
  try {
    const res = await fetch("api/query", {
      method: "POST", headers, body: JSON.stringify({ query, citations: cite.checked }), signal,
    });
    if (!res.ok) {
      if (res.status === 401) {
        tokenRow.hidden = false;
        $("token").focus();
      }
      throw new Error(await problemOf(res));
    }
    current.answerId = res.headers.get("x-answer-id");
    await follow(res.body, (event, data, id) => {
      if (id !== null) current.lastEventId = id;
      if (event === "done" || event === "error" || event === "cancelled") current.ended = true;
      if (event === "answer") current.answerId = data.answerId;
      else if (event === "progress") setStatus(progressText(data));
      else if (event === "sources") {
        renderSources(data.sourceNodes);
        answer.dataset.state = "streaming";
        setStatus("Writing the answer…");
      } else if (event === "reasoning") {
        if (reasoningBlock.hidden) {
          reasoningBlock.hidden = false;
          reasoningBlock.open = !answering;
        }
        reasoning.firstChild.appendData(data.text);
        reasoning.dataset.state = "streaming";
        reasoningNote.textContent = "· thinking…";
        if (!answering) {
          answer.dataset.state = "thinking";
          setStatus("Thinking…");
        }
      } else if (event === "delta") {
        if (!answering) {
          answering = true;
          if (!reasoningToggled) reasoningBlock.open = false;
          answer.dataset.state = "streaming";
          setStatus("Writing the answer…");
        }
        endReasoning();
        tail.appendData(data.text);
      } else if (event === "citation") addCitation(data);
      else if (event === "usage") usage = data;
      else if (event === "done") {
        answer.dataset.state = "done";
        const thought = usage && usage.reasoningTokens ? " (" + usage.reasoningTokens + " reasoning)" : "";
        const tokens = usage ? " · " + usage.totalTokens + " tokens" + thought : "";
        setStatus("Done" + citationNote() + tokens + ".");
      } else if (event === "error") {
        answer.dataset.state = "error";
        setStatus("The answer failed: " + data.message, true);
      } else if (event === "cancelled") {
        answer.dataset.state = "stopped";
        setStatus("Stopped.");
      }
    }, signal);
  } catch (error) {
    if (error.name === "AbortError") {
      answer.dataset.state = "stopped";
      setStatus("Stopped.");
    } else {
      answer.dataset.state = "error";
      setStatus("Error: " + error.message, true);
    }
  } finally {
    endReasoning();
    controller = null;
    current = null;
    setBusy(false);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!controller) void ask();
});
question.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
});
stopButton.addEventListener("click", () => {
  if (!controller) return;
  // The server keeps an answer whose client left running for a resume: stop it for good first.
  if (current && current.answerId) {
    const stopUrl = "api/answers/" + encodeURIComponent(current.answerId) + "/stop";
    fetch(stopUrl, { method: "POST", headers: authHeaders(), keepalive: true }).catch(() => {});
  }
  controller.abort();
});
`;
