import { HttpFailure, UnexpectedAnswerError } from "./inference-api-errors.js";
import type { HFInference } from "./inference-api-module.js";
import type { Exchange } from "./inference-api-transport.js";
import { readSseData } from "./tgi-sse.js";
import type { TGIGenerateResponse, TGIStreamEvent } from "./tgi-wire.js";

/** A prepared request: URL and `fetch` init (method, headers with the token, JSON body). */
export interface PreparedRequest {
  url: string;
  init: RequestInit;
}

/**
 * Builds a request to one of TGI's own routes (`/generate`, `/generate_stream`) with the library's request builder
 * (`makeRequestOptions`: auth header, user agent, body). The library has no non-deprecated call for these routes:
 * in v4 its `textGeneration(Stream)` goes to the OpenAI-style `/v1/completions`, which loses `special` and `details`.
 */
export async function prepareTGIRequest(
  hf: HFInference,
  endpointUrl: string,
  route: "/generate" | "/generate_stream",
  token: string | undefined,
  body: { inputs: string; parameters: Record<string, unknown> },
): Promise<PreparedRequest> {
  const base = endpointUrl.replace(/\/v1$/, "");
  const { url, info } = await hf.makeRequestOptions(
    { endpointUrl: `${base}${route}`, accessToken: token, ...body },
    hf.getProviderHelper("hf-inference", undefined),
  );
  return { url, init: info };
}

/**
 * `POST /generate_stream`: yields TGI's events one per pull. An error event (TGI reports validation, overload and
 * generation failures inside the stream, after a 200) is thrown as an {@link HttpFailure} with status 200.
 */
export async function* generateStream(
  req: PreparedRequest,
  exchange: Exchange,
): AsyncGenerator<TGIStreamEvent> {
  const res = await exchange.fetch(req.url, req.init);
  if (!res.ok) throw new HttpFailure(res.status, await errorBody(res));
  const type = res.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream")) {
    await res.body?.cancel().catch(() => undefined);
    throw new UnexpectedAnswerError(`a "${type || "no content-type"}" answer instead of an event stream`);
  }
  if (!res.body) return;
  for await (const data of readSseData(res.body)) {
    if (data === "[DONE]") return;
    const event: unknown = JSON.parse(data);
    if (typeof event === "object" && event !== null && "error" in event) throw new HttpFailure(200, event);
    yield event as TGIStreamEvent;
  }
}

/** `POST /generate`: the whole answer, and the prompt's token count from TGI's `x-prompt-tokens` header. */
export async function generate(
  req: PreparedRequest,
  exchange: Exchange,
): Promise<{ body: TGIGenerateResponse; promptTokens: number | undefined }> {
  const res = await exchange.fetch(req.url, req.init);
  if (!res.ok) throw new HttpFailure(res.status, await errorBody(res));
  const body: unknown = JSON.parse(await res.text());
  const answer = Array.isArray(body) ? body[0] : body;
  if (typeof answer !== "object" || answer === null || typeof answer.generated_text !== "string") {
    throw new UnexpectedAnswerError("an answer without generated_text");
  }
  const header = Number(res.headers.get("x-prompt-tokens") ?? Number.NaN);
  return { body: answer as TGIGenerateResponse, promptTokens: Number.isFinite(header) ? header : undefined };
}

/** An error answer's body: parsed JSON when it is JSON, else its text. */
async function errorBody(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => "");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
