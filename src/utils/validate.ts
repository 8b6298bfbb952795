import { InvalidArgumentError } from "../errors/index.js";

/** Throws {@link InvalidArgumentError} unless `value` is a non-empty string (after trimming). */
export function requireNonEmptyString(name: string, value: unknown, hint: string): string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(name, `expected a string, got ${describe(value)}. ${hint}`);
  }
  if (value.trim() === "") throw new InvalidArgumentError(name, `it is empty. ${hint}`);
  return value;
}

/** Throws unless `value` is an integer >= `min` (when defined). Returns the value or `fallback`. */
export function optionalInteger(name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InvalidArgumentError(name, `expected an integer, got ${describe(value)}.`);
  }
  if (value < min) throw new InvalidArgumentError(name, `must be >= ${min}, got ${value}.`);
  return value;
}

/** Throws unless `value` is a finite number in `[min, max]`. Returns the value or `fallback`. */
export function optionalNumber(
  name: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidArgumentError(name, `expected a number, got ${describe(value)}.`);
  }
  if (value < min || value > max) {
    throw new InvalidArgumentError(name, `must be between ${min} and ${max}, got ${value}.`);
  }
  return value;
}

/** Throws unless `value` is undefined or a boolean. */
export function optionalBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new InvalidArgumentError(name, `expected true or false, got ${describe(value)}.`);
  }
  return value;
}

/** A short, secret-free description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value.length > 40 ? "a long string" : JSON.stringify(value);
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `${typeof value} ${String(value)}`;
}
