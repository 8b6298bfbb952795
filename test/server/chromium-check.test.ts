// The browser test's rule: without Chromium it skips and says why, except on CI, where it fails.
import { describe, expect, it } from "vitest";
import { checkChromium, requireChromium } from "./chromium.js";

const missing = () => false;

describe("checkChromium", () => {
  it("is present when the file is there, whatever CI says", () => {
    expect(checkChromium("/x/chromium", { CI: "true" }, () => true)).toEqual({ kind: "present" });
  });

  it("skips outside CI, naming the path and the install script", () => {
    for (const env of [{}, { CI: "" }, { CI: "0" }, { CI: "false" }, { CI: "FALSE" }]) {
      const check = checkChromium("/x/chromium", env, missing);
      expect(check.kind).toBe("skip");
      expect(check.kind !== "present" && check.reason).toMatch(
        /\/x\/chromium.*scripts\/install-chromium\.sh/,
      );
      expect(() => requireChromium(check)).not.toThrow();
    }
  });

  it("fails on CI: a missing browser never silently skips the page's only browser test", () => {
    for (const CI of ["true", "1", "yes"]) {
      const check = checkChromium("/x/chromium", { CI }, missing);
      expect(check.kind).toBe("missing-on-ci");
      expect(() => requireChromium(check)).toThrow(/CI is set but Chromium is not at \/x\/chromium/);
    }
  });
});
