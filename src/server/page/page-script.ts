/**
 * The page's script (inlined; allowed by hash in the page's CSP): posts the question to `api/query`, reads the
 * server-sent events with a stream reader and renders the answer as it grows. `reasoning` events go to the
 * "Reasoning" block (shown at the first one, open while the model reasons, folded at the first answer delta
 * unless the reader opened or closed it meanwhile), never into the answer. `progress` events (a multi-call mode's
 * earlier calls) show in the status line: "Refining 2/4…". Stop aborts the fetch, which closes the
 * connection, which aborts the provider request on the server.
 */
export const PAGE_SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const form = $("ask-form"), question = $("question"), askButton = $("ask"), stopButton = $("stop");
const statusLine = $("status"), answer = $("answer"), sources = $("sources"), tokenRow = $("token-row");
const reasoningBlock = $("reasoning-block"), reasoning = $("reasoning"), reasoningNote = $("reasoning-note");
let controller = null;
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

function renderSources(list) {
  sources.replaceChildren();
  for (const source of list) {
    const item = document.createElement("li");
    const head = document.createElement("div");
    head.className = "source-head";
    const name = document.createElement("span");
    name.className = "file-name";
    name.textContent = (source.metadata && source.metadata.file_name) || source.id;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = typeof source.score === "number" ? "score " + source.score.toFixed(3) : "";
    head.append(name, score);
    const snippet = document.createElement("p");
    snippet.className = "snippet";
    const text = source.text.replace(/\\s+/g, " ").trim();
    snippet.textContent = text.length > 220 ? text.slice(0, 220) + "…" : text;
    item.append(head, snippet);
    sources.append(item);
  }
  $("sources-empty").hidden = list.length > 0;
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
      let event = "message", data = "";
      for (const line of block.split("\\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trimStart();
      }
      if (data) onEvent(event, JSON.parse(data));
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
  const text = document.createTextNode("");
  answer.replaceChildren(text);
  answer.dataset.state = "waiting";
  resetReasoning();
  let answering = false;
  renderSources([]);
  setBusy(true);
  setStatus("Searching the documents…");
  const headers = { "content-type": "application/json" };
  const token = $("token").value.trim();
  if (token) headers.authorization = "Bearer " + token;
  let usage = null;
  try {
    const res = await fetch("api/query", {
      method: "POST", headers, body: JSON.stringify({ query }), signal: controller.signal,
    });
    if (!res.ok) {
      const problem = await res.json().catch(() => null);
      if (res.status === 401) {
        tokenRow.hidden = false;
        $("token").focus();
      }
      throw new Error((problem && problem.error && problem.error.message) || res.status + " " + res.statusText);
    }
    await readEvents(res.body, (event, data) => {
      if (event === "progress") setStatus(progressText(data));
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
        text.appendData(data.text);
      } else if (event === "usage") usage = data;
      else if (event === "done") {
        answer.dataset.state = "done";
        const thought = usage && usage.reasoningTokens ? " (" + usage.reasoningTokens + " reasoning)" : "";
        setStatus("Done" + (usage ? " · " + usage.totalTokens + " tokens" + thought : "") + ".");
      } else if (event === "error") {
        answer.dataset.state = "error";
        setStatus("The answer failed: " + data.message, true);
      } else if (event === "cancelled") {
        answer.dataset.state = "stopped";
        setStatus("Stopped.");
      }
    });
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
  if (controller) controller.abort();
});
`;
