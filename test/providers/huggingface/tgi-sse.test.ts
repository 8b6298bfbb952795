import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MalformedResponseError } from "../../../src/index.js";
import { HuggingFaceInferenceAPI } from "../../../src/providers/huggingface/index.js";
import { UnexpectedAnswerError } from "../../../src/providers/huggingface/inference-api-errors.js";
import { MAX_SSE_EVENT_CHARS, readSseData } from "../../../src/providers/huggingface/tgi-sse.js";
import { streamFinalEvent, streamTokenEvent, tokenOf } from "../../support/fake-tgi/wire-format.js";
import {
  closed,
  drainOrClose,
  type ScriptedServer,
  startScriptedServer,
} from "../../support/loopback-scripted-server.js";
import { mulberry32 } from "../../support/prng.js";

const encoder = new TextEncoder();

/** A body that delivers `bytes` in the given pieces, one per pull. */
function bodyOf(pieces: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces[i++];
      if (piece === undefined) controller.close();
      else controller.enqueue(piece);
    },
  });
}

/** `text` as UTF-8, cut at the given byte sizes (cycled). */
function cut(text: string, sizes: (i: number) => number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes(i));
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function events(pieces: Uint8Array[], maxEventChars?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readSseData(bodyOf(pieces), maxEventChars)) out.push(data);
  return out;
}

/** The error reading `pieces` (with `maxEventChars`) throws, and the events yielded before it. */
async function failure(pieces: string[], maxEventChars: number): Promise<{ error: unknown; got: string[] }> {
  const got: string[] = [];
  const error = await (async () => {
    for await (const data of readSseData(bodyOf(pieces.map((p) => encoder.encode(p))), maxEventChars)) {
      got.push(data);
    }
  })().catch((e: unknown) => e);
  return { error, got };
}

/** One stream using every line end, multi-line data, `data` with and without a space, comments and fields. */
const STREAM =
  ": keep-alive\n\n" +
  'data:{"token":"é→😀"}\n\n' +
  "data: two\r\ndata:lines\r\n\r\n" +
  "data:cr\rdata\r\r" +
  "event: x\nid: 7\nretry: 10\ndata:  spaced\n: comment\n\n" +
  "data:mixed\r\ndata:ends\n\r\n" +
  "data:unterminated";
const EXPECTED = ['{"token":"é→😀"}', "two\nlines", "cr\n", " spaced", "mixed\nends"];

describe("readSseData: parsing", () => {
  it("reads every line end, multi-line data and comments; drops an unterminated last event", async () => {
    expect(await events([encoder.encode(STREAM)])).toEqual(EXPECTED);
  });

  it("gives the same events however the bytes are cut: 1-byte chunks, CRLF and UTF-8 split across chunks", async () => {
    expect(await events(cut(STREAM, () => 1))).toEqual(EXPECTED);
    expect(await events(cut(STREAM, (i) => 2 + (i % 3)))).toEqual(EXPECTED);
    const random = mulberry32(7);
    for (let run = 0; run < 50; run++) {
      expect(await events(cut(STREAM, () => Math.floor(random() * 12)))).toEqual(EXPECTED);
    }
  });

  it("a CR at the end of a chunk ends the line; an LF opening the next chunk is not a second, empty line", async () => {
    const pieces = ["data:a\r", "\ndata:b\r", "\n\r", "\n"].map((s) => encoder.encode(s));
    expect(await events(pieces)).toEqual(["a\nb"]);
  });

  it("an event split over many tiny chunks arrives whole, once its blank line has been read", async () => {
    const data = "x".repeat(10_000);
    const pieces = cut(`data:${data}\n\n`, () => 1);
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const piece = pieces[pulls++];
        if (piece === undefined) controller.close();
        else controller.enqueue(piece);
      },
    });
    const got: [string, number][] = [];
    for await (const event of readSseData(body)) got.push([event, pulls]);
    expect(got.map(([event]) => event)).toEqual([data]);
    expect(got[0]![1]).toBeGreaterThanOrEqual(pieces.length);
  });
});

describe("readSseData: bounded memory", () => {
  it("a long line gives the same event however it is chunked", async () => {
    for (const chunk of [1, 7, 64, 4096]) {
      const line = "y".repeat(50_000);
      const text = `data:${line}\n\ndata:end\n\n`;
      expect(await events(cut(text, () => chunk))).toEqual([line, "end"]);
    }
  });

  it("an event over the limit throws, whether one long line or many data lines", async () => {
    const long = await failure([`data:${"z".repeat(95)}`, "z".repeat(10)], 100);
    expect(long.error).toBeInstanceOf(UnexpectedAnswerError);
    expect((long.error as Error).message).toMatch(/more than 100 characters/);

    const many = await failure(Array<string>(30).fill("data:abcd\n"), 100);
    expect(many.error).toBeInstanceOf(UnexpectedAnswerError);
    expect((many.error as Error).message).toMatch(/more than 100 characters/);

    // The events completed before the long one are given first.
    const after = await failure(["data:first\n\n", `data:${"z".repeat(200)}`], 100);
    expect(after.got).toEqual(["first"]);
    expect(after.error).toBeInstanceOf(UnexpectedAnswerError);

    // Exactly at the limit is fine, and the limit is per event.
    const data = "w".repeat(94);
    expect(
      await events(
        Array.from({ length: 5 }, () => encoder.encode(`data:${data}\n\n`)),
        100,
      ),
    ).toEqual(Array<string>(5).fill(data));
  });

  it("an unending line throws instead of buffering without bound, and cancels the body", async () => {
    const chunk = encoder.encode("q".repeat(1024 * 1024));
    const enough = 16; // MiB: twice the limit
    let pulls = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Past the limit and a bit: the reader should have given up by now.
        if (pulls > enough) controller.error(new Error(`read ${pulls} MiB of one line`));
        else controller.enqueue(pulls++ === 0 ? encoder.encode("data:") : chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    const err = await (async () => {
      for await (const _ of readSseData(body));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedAnswerError);
    expect((err as Error).message).toMatch(new RegExp(`more than ${MAX_SSE_EVENT_CHARS} characters`));
    expect(cancelled).toBe(true);
    expect(MAX_SSE_EVENT_CHARS).toBe(8 * 1024 * 1024);
  });
});

describe("HuggingFaceInferenceAPI: an over-long event over real HTTP", () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startScriptedServer();
  });
  afterAll(() => server.close());

  /**
   * A `/generate_stream` that sends `prefix`, then one `data:` line that never ends: up to 16 MiB (the 8 Mi limit,
   * and more than the socket buffers hold), then it keeps the connection open until the client closes it.
   */
  function endlessEvent(prefix: string, seen: { closed: boolean; sent: number }): void {
    server.respond(async (_req, res: ServerResponse) => {
      void closed(res).then(() => {
        seen.closed = true;
      });
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`${prefix}data:{"token":{"text":"`);
      const piece = "x".repeat(64 * 1024);
      while (!res.destroyed && seen.sent < 16 * 1024 * 1024) {
        seen.sent += piece.length;
        if (!res.write(piece) && !(await drainOrClose(res))) break;
      }
      await closed(res);
    });
  }

  const model = () =>
    new HuggingFaceInferenceAPI({
      endpointUrl: server.origin,
      useChat: false,
      maxRetries: 0,
      timeout: 10_000,
    });

  for (const [name, prefix, partial] of [
    ["as the first event", "", ""],
    [
      "mid-stream",
      'data:{"index":1,"token":{"id":5,"text":"ok","logprob":0,"special":false},"generated_text":null,"details":null}\n\n',
      "ok",
    ],
  ] as const) {
    it(`${name}: MalformedResponseError saying so, and the server sees the connection closed`, async () => {
      const seen = { closed: false, sent: 0 };
      endlessEvent(prefix, seen);
      const deltas: string[] = [];
      const err = await (async () => {
        for await (const p of await model().streamComplete("p"))
          if (p.type === "text-delta") deltas.push(p.text);
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as Error).message).toMatch(
        /Hugging Face text generation stream got an event-stream event of more than \d+ characters/,
      );
      expect(deltas.join("")).toBe(partial);
      await server.waitFor(() => seen.closed);
    });
  }
});

describe("HuggingFaceInferenceAPI: TGI's stream with every line end and field, cut anywhere, over real HTTP", () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startScriptedServer();
  });
  afterAll(() => server.close());

  it("reads CRLF, CR and LF line ends, comments, retry/id/event fields and multi-line data, UTF-8 cut mid-character", async () => {
    const tokens = ["é→", "😀", " ok"].map((text) => tokenOf(text));
    const eos = tokenOf("</s>", true);
    const plan = { tokens: [...tokens, eos], finishReason: "eos_token" as const, generatedText: "é→😀 ok" };
    const json = (i: number) => JSON.stringify(streamTokenEvent(i + 1, tokens[i]!));
    const third = json(2);
    const comma = third.indexOf(",");
    const stream =
      ": keep-alive\r\n\r\n" +
      `retry: 3000\r\nid: 1\r\nevent: message\r\ndata:${json(0)}\r\n\r\n` +
      `:\rdata: ${json(1)}\r\r` +
      // One event's JSON over two `data` lines (joined with "\n", which JSON reads as white space).
      `data:${third.slice(0, comma + 1)}\ndata:${third.slice(comma + 1)}\n\n` +
      `data:${JSON.stringify(streamFinalEvent(4, eos, plan, 1, true))}\n\n`;
    // One write per byte, each its own TCP segment: "é", "→" and "😀" are cut inside their UTF-8 bytes, CRLFs
    // between CR and LF (however many segments the client's reads then join).
    const pieces = cut(stream, () => 1);
    server.respond(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.socket?.setNoDelay(true);
      for (const piece of pieces) {
        res.write(piece);
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });

    const model = new HuggingFaceInferenceAPI({ endpointUrl: server.origin, useChat: false, maxRetries: 0 });
    const deltas: string[] = [];
    for await (const p of await model.streamComplete("p")) if (p.type === "text-delta") deltas.push(p.text);
    expect(deltas).toEqual(["é→", "😀", " ok"]);
  });
});
