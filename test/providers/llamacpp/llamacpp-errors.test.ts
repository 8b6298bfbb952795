import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError, ProviderConnectionError, StreamdexError } from "../../../src/index.js";
import {
  InsufficientMemoryError,
  LlamaCpp,
  LlamaCppEmbedding,
  LlamaCppModelLoadError,
  MissingDependencyError,
} from "../../../src/providers/llamacpp/index.js";
import { loadNodeLlamaCpp, resetNodeLlamaCppImport } from "../../../src/providers/llamacpp/load-module.js";
import { defaultThreads } from "../../../src/providers/llamacpp/options.js";
import { ensureTinyGguf, makeOversizedGguf, makeTinyGguf } from "../../fixtures/make-tiny-gguf.js";

let dir: string;
let modelPath: string;

beforeAll(() => {
  modelPath = ensureTinyGguf();
  dir = mkdtempSync(join(tmpdir(), "streamdex-llamacpp-errors-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe("LlamaCpp: bad model files fail at construction with the path in the message", () => {
  it("a path that does not exist", () => {
    const path = join(dir, "nope.gguf");
    expect(() => new LlamaCpp({ modelPath: path })).toThrow(InvalidArgumentError);
    expect(() => new LlamaCpp({ modelPath: path })).toThrow(path);
  });

  it("a directory", () => {
    expect(() => new LlamaCpp({ modelPath: dir })).toThrow(/is a directory/);
  });

  it("a file that is not GGUF (checked by its magic bytes, before llama.cpp sees it)", () => {
    const path = file("model.bin", "PK\u0003\u0004 a zip, not a model");
    expect(() => new LlamaCpp({ modelPath: path })).toThrow(InvalidArgumentError);
    expect(() => new LlamaCpp({ modelPath: path })).toThrow(/is not a GGUF model: it starts with "PK/);
    expect(() => new LlamaCppEmbedding({ modelPath: path })).toThrow(/not a GGUF/);
  });

  it("a GGUF cut short inside its header", () => {
    const path = file("cut.gguf", makeTinyGguf().subarray(0, 2000));
    expect(() => new LlamaCpp({ modelPath: path })).toThrow(
      /not a readable GGUF model: the header is cut short/,
    );
  });

  it("a GGUF of a version llama.cpp does not read (v2 and v3 only)", () => {
    const bytes = Buffer.from(makeTinyGguf());
    bytes.writeUInt32LE(7, 4);
    const path = file("v7.gguf", bytes);
    expect(() => new LlamaCpp({ modelPath: path })).toThrow(InvalidArgumentError);
    expect(() => new LlamaCppEmbedding({ modelPath: path })).toThrow(
      /not a readable GGUF model: GGUF version 7 is not supported/,
    );
  });

  it("threads default to 1 on 2 cores or fewer, else min(4, cores - 1)", () => {
    expect([1, 2, 3, 4, 8, 64].map((n) => defaultThreads(n))).toEqual([1, 1, 2, 3, 4, 4]);
  });

  it("invalid options name the option", () => {
    for (const [options, name] of [
      [{ modelPath, contextSize: 0 }, "contextSize"],
      [{ modelPath, threads: 0 }, "threads"],
      [{ modelPath, temperature: -1 }, "temperature"],
      [{ modelPath, sequences: 1.5 }, "sequences"],
      [{ modelPath, readAheadTokens: -1 }, "readAheadTokens"],
      [{ modelPath: "" }, "modelPath"],
    ] as const) {
      expect(() => new LlamaCpp(options), name).toThrow(expect.objectContaining({ argument: name }));
    }
  });
});

describe("LlamaCpp: failures when loading reject the first call (typed), never crash the process", () => {
  it("a GGUF whose header declares tensors the file does not hold: LlamaCppModelLoadError with llama.cpp's reason", async () => {
    const bytes = makeTinyGguf();
    const path = file("truncated-data.gguf", bytes.subarray(0, bytes.length - 100_000));
    const llm = new LlamaCpp({ modelPath: path, threads: 1 });
    const error = await llm.streamComplete("hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlamaCppModelLoadError);
    expect(String((error as Error).message)).toContain(path);
    expect(String((error as Error).message)).toMatch(/llama\.cpp: .*not within the file bounds/);
    // The failure is not cached for good: a retry tries again (and fails the same way).
    await expect(llm.complete("again")).rejects.toBeInstanceOf(LlamaCppModelLoadError);
  });

  it("a model larger than this machine's RAM: InsufficientMemoryError before llama.cpp maps it", async () => {
    const path = file("huge.gguf", makeOversizedGguf());
    const llm = new LlamaCpp({ modelPath: path, threads: 1 });
    const error = await llm.complete("hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientMemoryError);
    expect((error as Error).message).toMatch(/needs \d+(\.\d)? GB of RAM for its weights; this machine has/);
    expect(makeOversizedGguf().length).toBeLessThan(1_000_000); // the claim is in the header only
  });

  it("a context that does not fit the free memory: InsufficientMemoryError (node-llama-cpp's check, RAM capped)", async () => {
    // A runtime that believes all RAM is taken: its memory check fails exactly as on a machine without room.
    const llama = await getLlama({ gpu: false, ramPadding: totalmem() });
    const llm = new LlamaCpp({ modelPath, threads: 1, llama });
    const error = await llm.complete("hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientMemoryError);
    expect((error as Error).message).toMatch(/too large for the available RAM.*Lower contextSize/);
    await llm.dispose();
    await llama.dispose();
  });
});

describe("LlamaCpp: model URIs", () => {
  let server: Server;
  let base: string;
  let requests = 0;

  beforeAll(async () => {
    const bytes = readFileSync(modelPath);
    server = createServer((req, res) => {
      requests++;
      if (req.url !== "/tiny-llama.gguf") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-length": bytes.length, "content-type": "application/octet-stream" });
      res.end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("downloads a URI through node-llama-cpp's resolver into modelsDirectory, then generates", async () => {
    const modelsDirectory = join(dir, "models");
    const llm = new LlamaCpp({
      modelPath: `${base}/tiny-llama.gguf`,
      modelsDirectory,
      threads: 1,
      maxTokens: 8,
    });
    expect(llm.metadata.contextWindow).toBe(2048 - 64); // unknown until downloaded (64: room for the chat template)
    const res = await llm.complete("hello");
    expect(res.usage?.completionTokens).toBe(8);
    expect(llm.metadata.contextWindow).toBe(512 - 64); // capped to the training context once known
    expect(readFileSync(join(modelsDirectory, "tiny-llama.gguf")).length).toBe(
      readFileSync(modelPath).length,
    );
    expect(requests).toBeGreaterThan(0);
    await llm.dispose();
  });

  it("an hf: URI that cannot be fetched (offline) is a ProviderConnectionError saying to pass a local path", async () => {
    const saved = process.env.MODEL_ENDPOINT;
    process.env.MODEL_ENDPOINT = "http://127.0.0.1:9/"; // nothing listens: as offline, whatever this machine's network
    try {
      const llm = new LlamaCpp({ modelPath: "hf:someone/some-model-GGUF:Q4_K_M", threads: 1 });
      const error = await llm.streamComplete("hi").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderConnectionError);
      expect((error as Error).message).toMatch(
        /Could not download the model hf:someone\/some-model-GGUF:Q4_K_M/,
      );
      expect((error as Error).message).toMatch(/pass its local path as modelPath/);
    } finally {
      if (saved === undefined) delete process.env.MODEL_ENDPOINT;
      else process.env.MODEL_ENDPOINT = saved;
    }
  });

  it("a URL that answers 404 is a ProviderConnectionError too", async () => {
    const llm = new LlamaCpp({ modelPath: `${base}/missing.gguf`, modelsDirectory: dir, threads: 1 });
    await expect(llm.complete("hi")).rejects.toBeInstanceOf(ProviderConnectionError);
  });
});

describe("node-llama-cpp not installed", () => {
  it("is a one-line MissingDependencyError saying `npm install node-llama-cpp`", async () => {
    const missing = Object.assign(new Error("Cannot find package 'node-llama-cpp' imported from /app/x.js"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    resetNodeLlamaCppImport();
    try {
      const error = await loadNodeLlamaCpp(() => Promise.reject(missing)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MissingDependencyError);
      expect(error).toBeInstanceOf(StreamdexError);
      expect((error as Error).message).toContain("npm install node-llama-cpp");
      expect((error as Error).message).not.toContain("\n");
    } finally {
      resetNodeLlamaCppImport();
    }
    await expect(loadNodeLlamaCpp()).resolves.toHaveProperty("getLlama");
  });
});
