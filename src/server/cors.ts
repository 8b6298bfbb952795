/** CORS headers for a request from `origin`, or none when CORS is off or the origin is not allowed. */
export function corsHeaders(
  allowed: string[] | undefined,
  origin: string | undefined,
): Record<string, string> {
  if (!allowed) return {};
  if (allowed.includes("*")) return { "access-control-allow-origin": "*", ...EXPOSED };
  if (origin === undefined || !allowed.includes(origin)) return { vary: "origin" };
  return { "access-control-allow-origin": origin, vary: "origin", ...EXPOSED };
}

/** Response headers a browser script may read: the chat's conversation id, the answer's id (for resuming). */
const EXPOSED = { "access-control-expose-headers": "x-conversation-id, x-answer-id" };

/** Headers of a successful preflight (`OPTIONS`) answer, added to {@link corsHeaders}. */
export const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, last-event-id",
  "access-control-max-age": "600",
};
