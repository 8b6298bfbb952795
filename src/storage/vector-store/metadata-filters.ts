import { InvalidArgumentError } from "../../errors/index.js";
import { describe } from "../../utils/validate.js";
import type { FilterOperator, MetadataFilter, MetadataFilters } from "./types.js";

/**
 * Metadata filter semantics shared by every store (SimpleVectorStore, BM25Retriever, pgvector):
 *
 * - Comparisons are strict: `"1"` never equals `1`, `true` never equals `"true"`; array-valued metadata equals
 *   nothing (there is no "contains" operator).
 * - `==` / `!=` take a string, number or boolean. `!=` is exactly `not ==`: a missing key matches `!=`.
 * - `in` / `nin` take an array of strings and numbers (`in []` matches nothing). `nin` is exactly `not in`: a
 *   missing key matches `nin`.
 * - `>` `>=` `<` `<=` take a finite number or a string, and only compare metadata of the same type (numbers
 *   numerically, strings by UTF-16 code units); a missing key or another type does not match.
 * - A group combines its filters with `and` (default; an empty group matches everything) or `or` (an empty group
 *   matches nothing). Groups nest up to {@link MAX_FILTER_DEPTH} levels.
 * - Unknown operators, conditions or properties (e.g. a misspelt `op`) throw {@link InvalidArgumentError}.
 */
export const FILTER_OPERATORS: readonly FilterOperator[] = ["==", "!=", ">", ">=", "<", "<=", "in", "nin"];

/** How deeply groups may nest. */
export const MAX_FILTER_DEPTH = 32;

/** A compiled filter: whether a node's metadata matches. */
export type MetadataPredicate = (metadata: Record<string, unknown>) => boolean;

const FILTER_KEYS = new Set(["key", "value", "operator"]);
const GROUP_KEYS = new Set(["filters", "condition"]);

/** Throws {@link InvalidArgumentError} (argument `"filters"`) unless `filters` is a well-formed {@link MetadataFilters}. */
export function validateFilters(filters: unknown): asserts filters is MetadataFilters {
  compileFilters(filters);
}

/** Whether `metadata` satisfies `filters` (validated first; use {@link compileFilters} to test many nodes). */
export function matchesFilters(metadata: Record<string, unknown>, filters: MetadataFilters): boolean {
  return compileFilters(filters)(metadata ?? {});
}

/** Validates `filters` once and returns a fast predicate over node metadata. */
export function compileFilters(filters: unknown): MetadataPredicate {
  return compileGroup(filters, "filters", 0);
}

/** Whether `entry` is a group (has `filters`) rather than a single filter. */
export function isFilterGroup(entry: MetadataFilter | MetadataFilters): entry is MetadataFilters {
  return typeof entry === "object" && entry !== null && "filters" in entry;
}

function fail(path: string, message: string): never {
  throw new InvalidArgumentError("filters", `${path}: ${message}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, unknown>, allowed: Set<string>, path: string, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      fail(path, `unknown property "${key}" in a ${what} (expected ${[...allowed].join(", ")}).`);
    }
  }
}

function compileGroup(group: unknown, path: string, depth: number): MetadataPredicate {
  if (depth >= MAX_FILTER_DEPTH) fail(path, `groups nest deeper than ${MAX_FILTER_DEPTH} levels.`);
  if (!isPlainObject(group) || !Array.isArray(group.filters)) {
    fail(path, `expected { filters: [...], condition?: "and" | "or" }, got ${describe(group)}.`);
  }
  checkKeys(group, GROUP_KEYS, path, "filter group");
  const condition = group.condition ?? "and";
  if (condition !== "and" && condition !== "or") {
    fail(`${path}.condition`, `unknown condition ${describe(condition)}; expected "and" or "or".`);
  }
  const parts = (group.filters as unknown[]).map((entry, i) => {
    const at = `${path}.filters[${i}]`;
    if (isPlainObject(entry) && "filters" in entry) return compileGroup(entry, at, depth + 1);
    return compileFilter(entry, at);
  });
  if (condition === "and") return (metadata) => parts.every((part) => part(metadata));
  return (metadata) => parts.some((part) => part(metadata));
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && !Number.isNaN(value))
  );
}

function compileFilter(filter: unknown, path: string): MetadataPredicate {
  if (!isPlainObject(filter)) {
    fail(path, `expected { key, value, operator? } or a nested { filters }, got ${describe(filter)}.`);
  }
  checkKeys(filter, FILTER_KEYS, path, "filter");
  const { key, value } = filter;
  const operator = filter.operator ?? "==";
  if (typeof key !== "string" || key === "")
    fail(`${path}.key`, `expected a non-empty string, got ${describe(key)}.`);
  if (typeof operator !== "string" || !(FILTER_OPERATORS as readonly string[]).includes(operator)) {
    fail(
      `${path}.operator`,
      `unknown operator ${describe(operator)}; expected one of ${FILTER_OPERATORS.join(" ")}.`,
    );
  }
  const has = (metadata: Record<string, unknown>): boolean => Object.hasOwn(metadata, key);
  switch (operator as FilterOperator) {
    case "==":
    case "!=": {
      if (!isScalar(value)) {
        fail(`${path}.value`, `"${operator}" takes a string, number or boolean, got ${describe(value)}.`);
      }
      const equals = (metadata: Record<string, unknown>): boolean => has(metadata) && metadata[key] === value;
      return operator === "==" ? equals : (metadata) => !equals(metadata);
    }
    case "in":
    case "nin": {
      if (
        !Array.isArray(value) ||
        !value.every((v) => typeof v === "string" || (typeof v === "number" && !Number.isNaN(v)))
      ) {
        fail(`${path}.value`, `"${operator}" takes an array of strings and numbers, got ${describe(value)}.`);
      }
      const set = new Set<unknown>(value);
      const member = (metadata: Record<string, unknown>): boolean => has(metadata) && set.has(metadata[key]);
      return operator === "in" ? member : (metadata) => !member(metadata);
    }
    default: {
      if (!(typeof value === "string" || (typeof value === "number" && Number.isFinite(value)))) {
        fail(`${path}.value`, `"${operator}" takes a finite number or a string, got ${describe(value)}.`);
      }
      const compare = comparator(operator as ">" | ">=" | "<" | "<=");
      return (metadata) => {
        const actual = has(metadata) ? metadata[key] : undefined;
        return typeof actual === typeof value && compare(actual as string | number, value);
      };
    }
  }
}

function comparator(operator: ">" | ">=" | "<" | "<="): (a: string | number, b: string | number) => boolean {
  switch (operator) {
    case ">":
      return (a, b) => a > b;
    case ">=":
      return (a, b) => a >= b;
    case "<":
      return (a, b) => a < b;
    case "<=":
      return (a, b) => a <= b;
  }
}
