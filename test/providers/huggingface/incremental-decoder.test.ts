import { AutoTokenizer, env, type PreTrainedTokenizer } from "@huggingface/transformers";
import { beforeAll, describe, expect, it } from "vitest";
import { IncrementalDecoder } from "../../../src/providers/huggingface/incremental-decoder.js";
import { ensureTinyGpt2 } from "../../fixtures/onnx/make-tiny-gpt2.js";

let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  env.allowRemoteModels = false;
  tokenizer = await AutoTokenizer.from_pretrained(ensureTinyGpt2(), { local_files_only: true });
});

function decoder(): IncrementalDecoder {
  return new IncrementalDecoder((tokens) =>
    tokenizer.decode(tokens as bigint[], { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
  );
}

function deltasOf(text: string): string[] {
  const d = decoder();
  const out = tokenizer.encode(text, { add_special_tokens: false }).map((id) => d.push(BigInt(id)));
  out.push(d.flush());
  return out;
}

describe("IncrementalDecoder", () => {
  it("gives each token its own text, spaces included", () => {
    const deltas = deltasOf(" the lighthouse keeper wrote");
    expect(deltas).toEqual([" the", " lighthouse", " keeper", " wrote", ""]);
  });

  it("holds a character split across byte tokens until it is complete, then releases it whole", () => {
    const deltas = deltasOf("a🌍b");
    // 🌍 is four UTF-8 bytes, four byte tokens: three empty deltas, then the whole character.
    expect(deltas).toEqual(["a", "", "", "", "🌍", "b", ""]);
    expect(deltasOf("naïve café — done").join("")).toBe("naïve café — done");
  });

  it("skips special tokens; flush() releases an unfinished character at the end", () => {
    const d = decoder();
    const end = tokenizer.encode("<|im_end|>", { add_special_tokens: false });
    expect(end.map((id) => d.push(BigInt(id)))).toEqual([""]);
    const euro = tokenizer.encode("€", { add_special_tokens: false }); // three byte tokens
    expect(d.push(BigInt(euro[0]!))).toBe("");
    expect(d.flush()).toBe("\uFFFD");
  });
});
