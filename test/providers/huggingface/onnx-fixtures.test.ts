import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from "@huggingface/transformers";
import { beforeAll, describe, expect, it } from "vitest";
import { makeTinyBert } from "../../fixtures/onnx/make-tiny-bert.js";
import { ensureTinyGpt2, makeTinyGpt2 } from "../../fixtures/onnx/make-tiny-gpt2.js";
import { ProtoMessage, varint } from "../../fixtures/onnx/protobuf-writer.js";

let gpt2: string;

beforeAll(() => {
  env.allowRemoteModels = false;
  gpt2 = ensureTinyGpt2();
});

const bytes = (files: ReturnType<typeof makeTinyGpt2>, name: string) =>
  Buffer.from(files[name] as Uint8Array);

describe("the protobuf writer", () => {
  it("writes varints, negative numbers as ten bytes, and tagged fields", () => {
    expect([...varint(1n)]).toEqual([1]);
    expect([...varint(300n)]).toEqual([0xac, 0x02]);
    expect(varint(-1n)).toHaveLength(10);
    expect([...new ProtoMessage().int(1, 150).string(2, "hi").toBytes()]).toEqual([
      0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69,
    ]);
  });
});

describe("the generated models", () => {
  it("are deterministic: same options, same bytes; another seed, other weights", () => {
    const gpt2Bytes = bytes(makeTinyGpt2(), "onnx/model.onnx");
    expect(gpt2Bytes.equals(bytes(makeTinyGpt2(), "onnx/model.onnx"))).toBe(true);
    expect(gpt2Bytes.equals(bytes(makeTinyGpt2({ seed: 8 }), "onnx/model.onnx"))).toBe(false);
    const bert = bytes(makeTinyBert(), "onnx/model.onnx");
    expect(bert.equals(bytes(makeTinyBert(), "onnx/model.onnx"))).toBe(true);
    expect(bert.length).toBeLessThan(300_000);
    expect(gpt2Bytes.length).toBeLessThan(500_000);
    expect(JSON.stringify(makeTinyGpt2()["tokenizer.json"])).toBe(
      JSON.stringify(makeTinyGpt2()["tokenizer.json"]),
    );
  });

  it("GPT-2: generation with the key/value cache equals recomputing the whole sequence each step", async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(gpt2, { local_files_only: true });
    const model = await AutoModelForCausalLM.from_pretrained(gpt2, { local_files_only: true, dtype: "fp32" });
    const prompt = tokenizer("The keeper wrote");
    const promptLength = prompt.input_ids.dims[1]!;
    const out = (await model.generate({ ...prompt, max_new_tokens: 12, do_sample: false })) as Tensor;
    const sequence = (out.tolist() as bigint[][])[0]!;
    expect(sequence).toHaveLength(promptLength + 12);

    const n = sequence.length;
    const full = await model({
      input_ids: new Tensor("int64", BigInt64Array.from(sequence), [1, n]),
      attention_mask: new Tensor("int64", new BigInt64Array(n).fill(1n), [1, n]),
    });
    const logits = full.logits as Tensor;
    const vocab = logits.dims[2]!;
    const data = logits.data as Float32Array;
    const argmax = (row: number) => {
      let best = 0;
      for (let v = 1; v < vocab; v++) if (data[row * vocab + v]! > data[row * vocab + best]!) best = v;
      return BigInt(best);
    };
    const recomputed = Array.from({ length: 12 }, (_, i) => argmax(promptLength - 1 + i));
    expect(recomputed).toEqual(sequence.slice(promptLength));
    await model.dispose();
  });

  it("GPT-2's byte-level tokenizer round-trips any text and knows its words whole", async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(gpt2, { local_files_only: true });
    const text = "The lighthouse keeper: naïve café, 🌍 — 42!\n";
    const ids = tokenizer.encode(text);
    expect(tokenizer.decode(ids)).toBe(text);
    expect(tokenizer.encode(" lighthouse")).toHaveLength(1);
    const chat = tokenizer.apply_chat_template([{ role: "user", content: "hi" }], {
      tokenize: false,
      add_generation_prompt: true,
    });
    expect(chat).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });

  it("BERT's WordPiece tokenizer lowercases, wraps in [CLS] … [SEP] and spells unknown words in pieces", async () => {
    const { ensureTinyBert } = await import("../../fixtures/onnx/make-tiny-bert.js");
    const tokenizer = await AutoTokenizer.from_pretrained(ensureTinyBert(), { local_files_only: true });
    const { input_ids } = tokenizer("The Lighthouse xyz", { return_tensor: false });
    const tokens = (input_ids as number[]).map((id) => tokenizer.decode([id]));
    expect(tokens).toEqual(["[CLS]", "the", "lighthouse", "x", "##y", "##z", "[SEP]"]);
  });
});
