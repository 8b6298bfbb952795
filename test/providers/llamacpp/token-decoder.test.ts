import type { LlamaModel, Token } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { TokenDecoder } from "../../../src/providers/llamacpp/token-decoder.js";

/** A fake model whose token i is the i-th byte sequence of `pieces`; decodes bytes as UTF-8 like llama.cpp. */
function fakeModel(pieces: (string | number[])[]): LlamaModel {
  const bytes = pieces.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p)));
  const decode = (tokens: readonly Token[]) =>
    Buffer.concat(tokens.map((t) => bytes[t as number]!)).toString("utf8");
  const model = {
    detokenize(tokens: readonly Token[], _special?: boolean, last?: readonly Token[]) {
      if (!last || last.length === 0) return decode(tokens);
      const prefix = decode(last);
      const all = decode([...last, ...tokens]);
      return all.startsWith(prefix) ? all.slice(prefix.length) : decode(tokens);
    },
  };
  return model as unknown as LlamaModel;
}

const t = (n: number) => n as Token;

describe("TokenDecoder", () => {
  it("one token in, its text out", () => {
    const d = new TokenDecoder(fakeModel(["Hel", "lo", " world"]), []);
    expect([0, 1, 2].map((i) => d.push(t(i)).text)).toEqual(["Hel", "lo", " world"]);
  });

  it("holds a character split across byte tokens until it is complete", () => {
    // "é" is C3 A9 in UTF-8; "€" is E2 82 AC.
    const d = new TokenDecoder(fakeModel([[0xc3], [0xa9], [0xe2], [0x82], [0xac], "!"]), []);
    expect([0, 1, 2, 3, 4, 5].map((i) => d.push(t(i)).text)).toEqual(["", "é", "", "", "€", "!"]);
  });

  it("releases an undecodable byte as soon as the next text shows it is not a partial character", () => {
    const d = new TokenDecoder(fakeModel([[0xff], "a", "b"]), []);
    expect([0, 1, 2].map((i) => d.push(t(i)).text)).toEqual(["", "\uFFFDa", "b"]);
  });

  it("never holds more than four byte tokens", () => {
    const d = new TokenDecoder(fakeModel([[0xff], [0xfe], [0xfd], [0xfc], "a"]), []);
    expect([0, 1, 2, 3, 4].map((i) => d.push(t(i)).text)).toEqual(["", "", "", "\uFFFD".repeat(4), "a"]);
  });

  it("a stop text spelt across tokens ends generation; the part before it is delivered, the marker never", () => {
    const d = new TokenDecoder(fakeModel(["Done", ".<", "|im", "_end", "|>", "after"]), ["<|im_end|>"]);
    expect(d.push(t(0))).toEqual({ text: "Done", stopped: false });
    expect(d.push(t(1))).toEqual({ text: ".", stopped: false });
    expect(d.push(t(2))).toEqual({ text: "", stopped: false });
    expect(d.push(t(3))).toEqual({ text: "", stopped: false });
    expect(d.push(t(4))).toEqual({ text: "", stopped: true });
  });

  it("text that only looked like a stop text is released, and flush() returns what is still held", () => {
    const d = new TokenDecoder(fakeModel(["a <", "b", " c<|"]), ["<|im_end|>"]);
    expect(d.push(t(0)).text).toBe("a ");
    expect(d.push(t(1)).text).toBe("<b");
    expect(d.push(t(2)).text).toBe(" c");
    expect(d.flush()).toBe("<|");
  });
});
