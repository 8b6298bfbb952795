import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { env } from "@huggingface/transformers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  getResponseSynthesizer,
  InvalidArgumentError,
  RetrieverQueryEngine,
  StreamdexError,
} from "../../../src/index.js";
import {
  HuggingFaceEmbedding,
  HuggingFaceLLM,
  HuggingFaceModelLoadError,
  MissingDependencyError,
  ModelFileMissingError,
  ModelNotDownloadedError,
  UnsupportedArchitectureError,
} from "../../../src/providers/huggingface/index.js";
import { loadTransformers, resetTransformersImport } from "../../../src/providers/huggingface/load-module.js";
import { ensureTinyBert } from "../../fixtures/onnx/make-tiny-bert.js";
import { ensureTinyGpt2 } from "../../fixtures/onnx/make-tiny-gpt2.js";
import { FixedRetriever, nodes } from "../../support/fixtures.js";

let dir: string;
let gpt2: string;
let bert: string;

/** A copy of the tiny GPT-2 in a fresh directory, changed by `edit`. */
function variant(name: string, edit: (path: string) => void, from = gpt2): string {
  const path = join(dir, name);
  cpSync(from, path, { recursive: true });
  edit(path);
  return path;
}

function setModelType(path: string, modelType: string | undefined): void {
  const file = join(path, "config.json");
  const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  if (modelType === undefined) delete config.model_type;
  else config.model_type = modelType;
  writeFileSync(file, JSON.stringify(config));
}

beforeAll(() => {
  env.allowRemoteModels = false;
  gpt2 = ensureTinyGpt2();
  bert = ensureTinyBert();
  dir = mkdtempSync(join(tmpdir(), "streamdex-hf-errors-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a model directory without the files transformers.js needs: one typed error naming the file", () => {
  for (const file of ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"]) {
    it(`no ${file}`, () => {
      const path = variant(`no-${file.replace("/", "-")}`, (p) => rmSync(join(p, file)));
      const error = (() => {
        try {
          new HuggingFaceLLM({ model: path });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ModelFileMissingError);
      expect(error).toBeInstanceOf(HuggingFaceModelLoadError);
      expect(error).toBeInstanceOf(StreamdexError);
      expect((error as ModelFileMissingError).fileName).toBe(file);
      expect((error as Error).message).toContain(`has no ${file}`);
      expect((error as Error).message).toContain(path);
      expect(() => new HuggingFaceEmbedding({ model: path })).toThrow(ModelFileMissingError);
    });
  }

  it("the ONNX file of the dtype asked for (q8 is onnx/model_quantized.onnx)", () => {
    expect(() => new HuggingFaceLLM({ model: gpt2, dtype: "q8" })).toThrow(
      expect.objectContaining({ fileName: "onnx/model_quantized.onnx" }),
    );
  });

  it("a path that does not exist, or a file, is an InvalidArgumentError naming `model`", () => {
    const missing = join(dir, "nope");
    expect(() => new HuggingFaceLLM({ model: missing })).toThrow(InvalidArgumentError);
    expect(() => new HuggingFaceLLM({ model: missing })).toThrow(missing);
    expect(() => new HuggingFaceLLM({ model: "./not/here" })).toThrow(/no model directory/);
    expect(() => new HuggingFaceLLM({ model: join(gpt2, "config.json") })).toThrow(/is a file/);
  });
});

describe("an architecture transformers.js cannot run: a typed error naming it, before the first token", () => {
  it("an unknown model_type rejects the query itself", async () => {
    const path = variant("unknown-arch", (p) => setModelType(p, "streamdex-imaginary"));
    const llm = new HuggingFaceLLM({ model: path });
    const engine = new RetrieverQueryEngine({
      retriever: new FixedRetriever(nodes(1)),
      responseSynthesizer: getResponseSynthesizer({ streaming: true, llm }),
    });
    const error = await engine.query("q").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedArchitectureError);
    expect((error as UnsupportedArchitectureError).modelType).toBe("streamdex-imaginary");
    expect((error as Error).message).toContain('model_type "streamdex-imaginary"');
    const embedding = new HuggingFaceEmbedding({ model: path });
    await expect(embedding.getTextEmbedding("x")).rejects.toThrow(/model_type "streamdex-imaginary"/);
  });

  it("an encoder (BERT) is not a text-generation model; a config without model_type says so", async () => {
    const error = await new HuggingFaceLLM({ model: bert }).complete("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedArchitectureError);
    expect((error as Error).message).toMatch(/model_type "bert".*text generation/);
    const none = variant("no-model-type", (p) => setModelType(p, undefined));
    await expect(new HuggingFaceLLM({ model: none }).complete("x")).rejects.toThrow(/no model_type/);
  });
});

describe("a Hub id while offline: a typed error saying to download it and pass the directory", () => {
  it("remote loading off (env.allowRemoteModels = false)", async () => {
    const llm = new HuggingFaceLLM({ model: "streamdex-test/not-downloaded" });
    const error = await llm.complete("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotDownloadedError);
    expect((error as Error).message).toContain("streamdex-test/not-downloaded");
    expect((error as Error).message).toContain("remote loading is off");
    expect((error as Error).message).toContain("huggingface-cli download streamdex-test/not-downloaded");
    const embedding = new HuggingFaceEmbedding({ model: "streamdex-test/not-downloaded" });
    await expect(embedding.getTextEmbedding("x")).rejects.toBeInstanceOf(ModelNotDownloadedError);
  });

  it("the Hub not reachable (connection refused)", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r)); // nothing listens there now
    const saved = { allow: env.allowRemoteModels, host: env.remoteHost, fsCache: env.useFSCache };
    Object.assign(env, {
      allowRemoteModels: true,
      remoteHost: `http://127.0.0.1:${port}/`,
      useFSCache: false,
    });
    try {
      const error = await new HuggingFaceLLM({ model: "streamdex-test/unreachable" })
        .complete("x")
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelNotDownloadedError);
      expect((error as Error).message).toMatch(/not reachable \(ECONNREFUSED\).*--local-dir/);
    } finally {
      Object.assign(env, {
        allowRemoteModels: saved.allow,
        remoteHost: saved.host,
        useFSCache: saved.fsCache,
      });
    }
  });
});

describe("options and the optional dependency", () => {
  it("invalid options name the option", () => {
    for (const [options, name] of [
      [{ model: "" }, "model"],
      [{ model: gpt2, maxNewTokens: 0 }, "maxNewTokens"],
      [{ model: gpt2, temperature: -1 }, "temperature"],
      [{ model: gpt2, topP: 2 }, "topP"],
      [{ model: gpt2, readAheadTokens: -1 }, "readAheadTokens"],
      [{ model: gpt2, dtype: "fp64" }, "dtype"],
      [{ model: gpt2, doSample: "yes" }, "doSample"],
    ] as const) {
      // biome-ignore lint/suspicious/noExplicitAny: invalid options on purpose
      expect(() => new HuggingFaceLLM(options as any), name).toThrow(
        expect.objectContaining({ argument: name }),
      );
    }
    // biome-ignore lint/suspicious/noExplicitAny: invalid options on purpose
    expect(() => new HuggingFaceEmbedding({ model: bert, pooling: "max" as any })).toThrow(/pooling/);
  });

  it("@huggingface/transformers missing is a one-line MissingDependencyError", async () => {
    const missing = Object.assign(
      new Error("Cannot find package '@huggingface/transformers' imported from /x.js"),
      {
        code: "ERR_MODULE_NOT_FOUND",
      },
    );
    resetTransformersImport();
    try {
      const error = await loadTransformers(() => Promise.reject(missing)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MissingDependencyError);
      expect((error as Error).message).toBe(
        'streamdex/huggingface needs the optional package "@huggingface/transformers": run ' +
          "`npm install @huggingface/transformers`.",
      );
    } finally {
      resetTransformersImport();
    }
    await expect(loadTransformers()).resolves.toHaveProperty("pipeline");
  });
});
