import { describe, expect, it } from "vitest";
import { displayUrl, storeSecrets } from "../../src/cli/stores.js";
import { redact } from "../../src/errors/index.js";
import { messageOf } from "../../src/errors/message-of.js";
import { REDACTED, redactSecrets } from "../../src/errors/redact.js";
import { toStreamdexError } from "../../src/providers/langchain/errors.js";

const KEY = "sk-proj-abcdefghijklmnop1234";
const PASSWORD = "hunter2-pw";

describe("one redactor, one placeholder", () => {
  it("the placeholder is [redacted]", () => {
    expect(REDACTED).toBe("[redacted]");
  });

  it("replaces known secrets, longest first, and skips short or missing ones", () => {
    expect(redactSecrets("a abcdef abcdefgh b", { secrets: ["abcdef", "abcdefgh", undefined, "ab"] })).toBe(
      "a [redacted] [redacted] b",
    );
    expect(redactSecrets("pw1234 here", { secrets: ["pw1234"] })).toBe("[redacted] here");
    expect(redactSecrets("pw12 here", { secrets: ["pw12"] })).toBe("pw12 here");
    expect(redactSecrets("pw12 here", { secrets: ["pw12"], minSecretLength: 4 })).toBe("[redacted] here");
  });

  it("replaces URL passwords and key-shaped strings, each rule an option", () => {
    const text = `at postgres://app:${PASSWORD}@db:5432/rag with ${KEY}`;
    expect(redactSecrets(text)).toBe("at postgres://app:[redacted]@db:5432/rag with [redacted]");
    expect(redactSecrets(text, { urlPasswords: false })).toContain(PASSWORD);
    expect(redactSecrets(text, { keyShapes: false })).toContain(KEY);
    // A user without password, and OpenAI's own masked form, are left alone.
    expect(redactSecrets("postgres://app@db/rag sk-abc***wxyz")).toBe("postgres://app@db/rag sk-abc***wxyz");
  });

  it("redact(text, secret), the providers' entry, is the same redactor", () => {
    expect(redact(`bad key ${KEY}!`, KEY)).toBe("bad key [redacted]!");
    expect(redact("token abcdefgh-xyz", "abcdefgh-xyz")).toBe("token [redacted]");
    expect(redact("short", "abc")).toBe("short");
  });

  it("the command line's URL display uses the same placeholder", () => {
    expect(displayUrl(`postgres://app:${PASSWORD}@h/db?password=${PASSWORD}`)).toBe(
      "postgres://app:[redacted]@h/db?password=[redacted]",
    );
  });
});

describe("a password or API key never appears in an error's text", () => {
  it("LangChain errors: message, providerMessage and every cause, for the model's key and a key-shaped one", () => {
    const inner = new Error(`socket to postgres://u:${PASSWORD}@h failed`);
    const thrown = Object.assign(new Error(`401 Incorrect API key provided: ${KEY}`, { cause: inner }), {
      status: 401,
    });
    const err = toStreamdexError(thrown, { what: "LangChain test chat", secrets: ["my-own-token-123"] });
    const texts: string[] = [];
    for (let e: unknown = err; e instanceof Error; e = e.cause)
      texts.push(e.message, e.stack ?? "", String(e));
    texts.push(JSON.stringify(err), String((err as { providerMessage?: string }).providerMessage));
    for (const t of texts) {
      expect(t).not.toContain(KEY);
      expect(t).not.toContain(PASSWORD);
    }
    expect(err.message).toContain("[redacted]");
  });

  it("the command's error line: every --store password, raw and percent-decoded", () => {
    const argv = ["ask", "q", "--store", `postgres://app:${encodeURIComponent("p@ss-word")}@h/db`];
    const secrets = storeSecrets(argv, {});
    const line = redactSecrets(`could not connect: password "p@ss-word" (p%40ss-word) rejected`, {
      secrets,
      minSecretLength: 4,
    });
    expect(line).not.toContain("p@ss-word");
    expect(line).not.toContain("p%40ss-word");
  });
});

describe("messageOf", () => {
  it("is an Error's message, else the value as a string", () => {
    expect(messageOf(new TypeError("boom"))).toBe("boom");
    expect(messageOf("plain")).toBe("plain");
    expect(messageOf(42)).toBe("42");
    expect(messageOf(undefined)).toBe("undefined");
  });
});
