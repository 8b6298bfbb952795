import { isResponseMode } from "../synthesizers/get-response-synthesizer.js";
import { RESPONSE_MODES, type ResponseMode } from "../synthesizers/types.js";
import { HttpError } from "./http-error.js";
import { MAX_TOP_K, type ResolvedOptions } from "./options.js";

/** A checked question, with the options the engine is built with. */
export interface QueryRequest {
  query: string;
  topK: number | undefined;
  mode: ResponseMode | undefined;
  stream: boolean;
  /** The client asked for citations (`"citations": true`). */
  citations: boolean;
}

const QUERY_KEYS = new Set(["query", "topK", "mode", "stream", "citations"]);

/**
 * Checks a `POST /api/query` body: `{ query, topK?, mode?, stream?, citations? }`. Throws a 400 {@link HttpError}.
 */
export function parseQueryBody(body: unknown, options: ResolvedOptions): QueryRequest {
  const object = requireObject(body);
  const unknown = Object.keys(object).filter((k) => !QUERY_KEYS.has(k));
  if (unknown.length > 0) {
    throw badRequest(
      "unknown_field",
      `Unknown field ${JSON.stringify(unknown[0])}. Send { query, topK?, mode?, stream?, citations? }.`,
    );
  }
  if (object.stream !== undefined && typeof object.stream !== "boolean") {
    throw badRequest("invalid_stream", "`stream` must be true or false.");
  }
  return {
    query: checkQuestion(object.query, options.maxQuestionChars),
    ...checkEngineFields(object, options),
    stream: object.stream !== false,
    citations: checkCitations(object.citations),
  };
}

/** Checks the optional `citations` flag of a body (`false` when omitted). */
export function checkCitations(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw badRequest("invalid_citations", "`citations` must be true or false.");
  return value;
}

/** Checks a question: a non-empty string of at most `maxChars` characters. Returns it trimmed. */
export function checkQuestion(value: unknown, maxChars: number): string {
  if (typeof value !== "string") throw badRequest("invalid_query", "`query` must be a string.");
  const question = value.trim();
  if (question === "") throw badRequest("empty_query", "`query` is empty: ask a question.");
  if (question.length > maxChars) {
    throw badRequest(
      "query_too_long",
      `The question is ${question.length} characters long; the limit is ${maxChars}.`,
    );
  }
  return question;
}

/** Checks the optional `topK` and `mode` of a body, falling back to the server's defaults. */
export function checkEngineFields(
  object: Record<string, unknown>,
  options: ResolvedOptions,
): { topK: number | undefined; mode: ResponseMode | undefined } {
  const { topK, mode } = object;
  if (
    topK !== undefined &&
    (!Number.isInteger(topK) || (topK as number) < 1 || (topK as number) > MAX_TOP_K)
  ) {
    throw badRequest("invalid_top_k", `\`topK\` must be an integer from 1 to ${MAX_TOP_K}.`);
  }
  if (mode !== undefined && !isResponseMode(mode)) {
    throw badRequest("invalid_mode", `Unknown \`mode\`. Use one of: ${RESPONSE_MODES.join(", ")}.`);
  }
  return {
    topK: (topK as number | undefined) ?? options.defaultTopK,
    mode: (mode as ResponseMode | undefined) ?? options.defaultMode,
  };
}

/** Throws a 400 unless `body` is a JSON object (not an array, not null). */
export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest("invalid_body", "The body must be a JSON object.");
  }
  return body as Record<string, unknown>;
}

/** A 400 {@link HttpError}. */
export function badRequest(code: string, message: string): HttpError {
  return new HttpError(400, code, message);
}
