import { onAbort } from "../../utils/abort.js";
import { hasBearerToken } from "../auth.js";
import { PREFLIGHT_HEADERS } from "../cors.js";
import { HttpError } from "../http-error.js";
import type { ResolvedOptions } from "../options.js";
import { BASE_HEADERS, type CoreReply, type CoreRequest, jsonReply } from "../reply.js";
import type { StreamSlots } from "../stream-slots.js";
import { answerCompletion } from "./completion.js";
import { invalidRequest, OpenAIApiError, openAIErrorReply } from "./errors.js";
import { type OpenAICompatOptions, type ResolvedModel, resolveOpenAIOptions } from "./options.js";
import { parseCompletionBody } from "./request.js";

/** Answers one request to a `/v1/...` path. Never throws: every failure is an OpenAI error reply. */
export type OpenAIRoute = (
  req: CoreRequest,
  cors: Record<string, string>,
  log: (status: number, note?: string) => void,
) => Promise<CoreReply>;

/** What the route shares with the rest of the server. */
export interface OpenAIRouteDeps {
  opts: ResolvedOptions;
  /** The server's stream slots: the OpenAI API and `/api/*` share `maxConcurrentStreams`. */
  slots: StreamSlots;
}

/** Whether a path is the OpenAI-compatible API's. */
export function isOpenAIPath(path: string): boolean {
  return path === "/v1" || path.startsWith("/v1/");
}

const MODELS = "/v1/models";
const COMPLETIONS = "/v1/chat/completions";

/**
 * The OpenAI-compatible API: `POST /v1/chat/completions` (streamed or not), `GET /v1/models` and
 * `GET /v1/models/{id}`, behind the server's bearer token, with OpenAI's error bodies. `options === false` turns
 * it off (`undefined` is returned and `/v1/...` is a 404 like any unknown route). Options are checked here, at
 * construction.
 */
export function createOpenAIRoute(
  options: OpenAICompatOptions | false | undefined,
  deps: OpenAIRouteDeps,
): OpenAIRoute | undefined {
  if (options === false) return undefined;
  const resolved = resolveOpenAIOptions(options);
  const created = Math.floor(Date.now() / 1000);
  const modelJSON = (m: ResolvedModel) => ({ id: m.id, object: "model", created, owned_by: m.ownedBy });
  const { opts, slots } = deps;

  return async (req, cors, log) => {
    try {
      const models = req.path === MODELS || req.path.startsWith(`${MODELS}/`);
      if (!models && req.path !== COMPLETIONS) {
        throw new OpenAIApiError(
          404,
          "invalid_request_error",
          "unknown_url",
          `Invalid URL (${req.method} ${printable(req.path)}): the routes are GET ${MODELS} and POST ${COMPLETIONS}.`,
        );
      }
      const methods = models ? ["GET", "HEAD"] : ["POST"];
      if (req.method === "OPTIONS" && opts.corsOrigins) return preflight(cors, methods);
      if (!methods.includes(req.method)) {
        const allow = opts.corsOrigins ? [...methods, "OPTIONS"] : methods;
        throw new OpenAIApiError(
          405,
          "invalid_request_error",
          "method_not_allowed",
          `Use ${allow.join(" or ")} on ${req.path}.`,
          null,
          { allow: allow.join(", ") },
        );
      }
      if (opts.token !== undefined && !hasBearerToken(req.header("authorization"), opts.token)) {
        throw new OpenAIApiError(
          401,
          "invalid_request_error",
          "invalid_api_key",
          "Missing or wrong API key: send the server's token as the API key (`Authorization: Bearer <token>`).",
          null,
          { "www-authenticate": 'Bearer realm="streamdex"' },
        );
      }
      if (models) {
        if (req.path === MODELS) {
          return jsonReply(200, { object: "list", data: [...resolved.models.values()].map(modelJSON) }, cors);
        }
        const id = decoded(req.path.slice(MODELS.length + 1));
        const model = id === undefined ? undefined : resolved.models.get(id);
        if (!model) {
          throw new OpenAIApiError(
            404,
            "invalid_request_error",
            "model_not_found",
            `The model '${printable(id ?? "")}' does not exist.`,
            "model",
          );
        }
        return jsonReply(200, modelJSON(model), cors);
      }

      const mediaType = (req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (mediaType !== "application/json") {
        throw new OpenAIApiError(
          415,
          "invalid_request_error",
          "unsupported_media_type",
          "Send the body as JSON (`content-type: application/json`).",
        );
      }
      const body = parseJson(await readBody(req, resolved.maxBodyBytes));
      const request = parseCompletionBody(body, resolved, opts.maxQuestionChars);
      const release = slots.tryAcquire();
      if (!release) {
        throw new OpenAIApiError(
          429,
          "requests",
          "rate_limit_exceeded",
          `The server is answering ${slots.limit} requests already; retry in a moment.`,
          null,
          { "retry-after": "1" },
        );
      }
      try {
        const reply = await answerCompletion(request, {
          opts,
          signal: req.signal,
          headers: cors,
          onEnd: (note) => {
            release();
            if (note !== "json") log(200, note);
          },
        });
        // A client that leaves stops the answer and the model request, and frees the slot.
        if ("stream" in reply) {
          const { stream } = reply;
          if (req.signal.aborted) await stream.cancel();
          else onAbort(req.signal, () => void stream.cancel());
        }
        return reply;
      } catch (error) {
        release();
        throw error;
      }
    } catch (error) {
      return openAIErrorReply(error, cors);
    }
  };
}

function preflight(cors: Record<string, string>, methods: string[]): CoreReply {
  if (!cors["access-control-allow-origin"]) {
    throw new OpenAIApiError(
      403,
      "invalid_request_error",
      "origin_not_allowed",
      "This origin may not call the API.",
    );
  }
  return {
    status: 204,
    headers: {
      ...BASE_HEADERS,
      ...cors,
      ...PREFLIGHT_HEADERS,
      "access-control-allow-methods": [...methods, "OPTIONS"].join(", "),
    },
    body: "",
  };
}

/** The body; beyond the limit a 413 naming `messages` (the one field that grows: the whole conversation). */
async function readBody(req: CoreRequest, maxBytes: number): Promise<Uint8Array> {
  try {
    return await req.readBody(maxBytes);
  } catch (error) {
    if (!(error instanceof HttpError) || error.status !== 413) throw error;
    throw new OpenAIApiError(
      413,
      "invalid_request_error",
      "request_too_large",
      `The request is larger than ${maxBytes} bytes: send fewer or shorter \`messages\`.`,
      "messages",
      error.headers,
    );
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw invalidRequest(
      null,
      "invalid_json",
      "We could not parse the JSON body of your request: send valid UTF-8 JSON.",
    );
  }
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** A client's text safe to echo in a message: printable ASCII only, at most 100 characters. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
