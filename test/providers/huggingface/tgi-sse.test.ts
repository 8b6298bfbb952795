import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MalformedResponseError } from "../../../src/index.js";
import { HuggingFaceInferenceAPI } from "../../../src/providers/huggingface/index.js";
import { UnexpectedAnswerError } from "../../../src/providers/huggingface/inference-api-errors.js";
import {
  MAX_SSE_EVENT_CHARS,
  readSseData,
  SseDataParser,
} from "../../../src/providers/huggingface/tgi-sse.js";
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

async function events(pieces: Uint8Array[], parser?: SseDataParser): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readSseData(bodyOf(pieces), parser)) out.push(data);
  return out;
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

  it("an event split over many tiny chunks arrives whole, when its blank line arrives", async () => {
    const parser = new SseDataParser();
    const data = "x".repeat(10_000);
    const text = `data:${data}\n\n`;
    const got: string[][] = [];
    for (const c of text) got.push(parser.push(c));
    expect(got.slice(0, -1).every((e) => e.length === 0)).toBe(true);
    expect(got.at(-1)).toEqual([data]);
  });
});

describe("readSseData: bounded work and memory", () => {
  it("looks at each character once, however a long line is chunked (no rescans of the leftover)", async () => {
    for (const chunk of [1, 7, 64, 4096]) {
      const parser = new SseDataParser();
      const line = "y".repeat(50_000);
      const text = `data:${line}\n\ndata:end\n\n`;
      expect(
        await events(
          cut(text, () => chunk),
          parser,
        ),
      ).toEqual([line, "end"]);
      expect(parser.scanned).toBe(text.length);
    }
  });

  it("an event over the limit throws, whether one long line or many data lines", () => {
    const long = new SseDataParser(100);
    expect(long.push(`data:${"z".repeat(95)}`)).toEqual([]);
    expect(() => long.push("z".repeat(10))).toThrow(UnexpectedAnswerError);

    const many = new SseDataParser(100);
    expect(() => {
      for (let i = 0; i < 30; i++) many.push("data:abcd\n");
    }).toThrow(/more than 100 characters/);

    // Exactly at the limit is fine, and the limit is per event.
    const ok = new SseDataParser(100);
    const data = "w".repeat(94);
    for (let i = 0; i < 5; i++) expect(ok.push(`data:${data}\n\n`)).toEqual([data]);
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
