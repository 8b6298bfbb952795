import { describe, expect, it } from "vitest";
import { InvalidArgumentError, type MetadataFilters } from "../../src/index.js";
import {
  compileFilters,
  matchesFilters,
  validateFilters,
} from "../../src/storage/vector-store/metadata-filters.js";

const meta = { lang: "en", year: 2021, score: 0.5, pinned: true, tags: ["a", "b"], title: "Moby" };
const one = (filter: object) => matchesFilters(meta, { filters: [filter] } as MetadataFilters);

describe("metadata filters", () => {
  it("== and != compare strictly, by type; != is not ==, so a missing key matches it", () => {
    expect(one({ key: "lang", value: "en" })).toBe(true);
    expect(one({ key: "lang", value: "en", operator: "==" })).toBe(true);
    expect(one({ key: "year", value: "2021" })).toBe(false);
    expect(one({ key: "pinned", value: true })).toBe(true);
    expect(one({ key: "pinned", value: "true" })).toBe(false);
    expect(one({ key: "missing", value: "x" })).toBe(false);
    expect(one({ key: "lang", value: "fr", operator: "!=" })).toBe(true);
    expect(one({ key: "lang", value: "en", operator: "!=" })).toBe(false);
    expect(one({ key: "missing", value: "x", operator: "!=" })).toBe(true);
    expect(one({ key: "tags", value: "a" })).toBe(false); // no "contains": arrays equal nothing
  });

  it("in and nin test membership; nin is not in, so a missing key matches it", () => {
    expect(one({ key: "year", value: [2020, 2021], operator: "in" })).toBe(true);
    expect(one({ key: "year", value: ["2021"], operator: "in" })).toBe(false);
    expect(one({ key: "lang", value: [], operator: "in" })).toBe(false);
    expect(one({ key: "missing", value: ["x"], operator: "in" })).toBe(false);
    expect(one({ key: "lang", value: ["fr", "de"], operator: "nin" })).toBe(true);
    expect(one({ key: "lang", value: ["en"], operator: "nin" })).toBe(false);
    expect(one({ key: "missing", value: ["x"], operator: "nin" })).toBe(true);
  });

  it("range operators compare numbers numerically and strings lexically, never across types", () => {
    expect(one({ key: "year", value: 2021, operator: ">" })).toBe(false);
    expect(one({ key: "year", value: 2021, operator: ">=" })).toBe(true);
    expect(one({ key: "year", value: 2022, operator: "<" })).toBe(true);
    expect(one({ key: "year", value: 2020, operator: "<=" })).toBe(false);
    expect(one({ key: "score", value: 0.25, operator: ">" })).toBe(true);
    expect(one({ key: "title", value: "M", operator: ">" })).toBe(true);
    expect(one({ key: "title", value: "N", operator: ">=" })).toBe(false);
    expect(one({ key: "year", value: "2000", operator: ">" })).toBe(false);
    expect(one({ key: "missing", value: 0, operator: ">" })).toBe(false);
    expect(one({ key: "missing", value: 0, operator: "<=" })).toBe(false);
  });

  it("combines with and (default) / or, nested, with empty groups as identities", () => {
    const yearOrPinned: MetadataFilters = {
      condition: "or",
      filters: [
        { key: "year", value: 2030, operator: ">=" },
        { key: "pinned", value: true },
      ],
    };
    expect(matchesFilters(meta, { filters: [{ key: "lang", value: "en" }, yearOrPinned] })).toBe(true);
    expect(
      matchesFilters({ ...meta, pinned: false }, { filters: [{ key: "lang", value: "en" }, yearOrPinned] }),
    ).toBe(false);
    expect(
      matchesFilters(
        { ...meta, lang: "fr" },
        { condition: "or", filters: [{ key: "lang", value: "en" }, yearOrPinned] },
      ),
    ).toBe(true);
    const deep: MetadataFilters = {
      filters: [{ filters: [{ condition: "or", filters: [{ key: "lang", value: "en" }] }] }],
    };
    expect(matchesFilters(meta, deep)).toBe(true);
    expect(matchesFilters(meta, { filters: [] })).toBe(true);
    expect(matchesFilters(meta, { condition: "or", filters: [] })).toBe(false);
  });

  it("rejects unknown operators, conditions and properties, and values of the wrong shape, naming the path", () => {
    const bad: Array<[unknown, RegExp]> = [
      [
        { filters: [{ key: "a", value: 1, operator: "~" }] },
        /filters\.filters\[0\]\.operator: unknown operator "~"/,
      ],
      [{ filters: [{ key: "a", value: 1, operator: "eq" }] }, /unknown operator/],
      [{ condition: "xor", filters: [] }, /filters\.condition: unknown condition "xor"/],
      [{ filters: [{ filters: [], condition: "AND" }] }, /filters\.filters\[0\]\.condition/],
      [{ filters: [{ key: "a", value: 1, op: "in" }] }, /unknown property "op"/],
      [{ filters: [{ key: "a", value: "x", operator: "in" }] }, /"in" takes an array/],
      [{ filters: [{ key: "a", value: 3, operator: "nin" }] }, /"nin" takes an array/],
      [
        { filters: [{ key: "a", value: [{}], operator: "in" }] },
        /"in" takes an array of strings and numbers/,
      ],
      [{ filters: [{ key: "a", value: [1], operator: "==" }] }, /"==" takes a string, number or boolean/],
      [{ filters: [{ key: "a", value: null }] }, /"==" takes/],
      [{ filters: [{ key: "a", value: true, operator: ">" }] }, /">" takes a finite number or a string/],
      [{ filters: [{ key: "a", value: Number.NaN, operator: "<" }] }, /finite number/],
      [{ filters: [{ key: "", value: 1 }] }, /\.key: expected a non-empty string/],
      [{ filters: [{ value: 1 }] }, /\.key/],
      [{ filters: [42] }, /filters\.filters\[0\]: expected \{ key, value/],
      [{ filters: "lang" }, /expected \{ filters: \[/],
      [null, /expected \{ filters/],
    ];
    for (const [filters, message] of bad) {
      const error = (() => {
        try {
          validateFilters(filters);
        } catch (e) {
          return e;
        }
      })();
      expect(error, JSON.stringify(filters)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe("filters");
      expect((error as Error).message).toMatch(message);
    }
    let deep: MetadataFilters = { filters: [] };
    for (let i = 0; i < 40; i++) deep = { filters: [deep] };
    expect(() => validateFilters(deep)).toThrow(/nest deeper/);
  });

  it("compileFilters validates once and returns a reusable predicate", () => {
    const matches = compileFilters({ filters: [{ key: "n", value: 2, operator: ">" }] });
    expect([1, 2, 3, 4].filter((n) => matches({ n }))).toEqual([3, 4]);
  });
});
