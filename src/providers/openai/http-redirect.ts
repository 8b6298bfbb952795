/** Statuses fetch follows when they carry a `Location`. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a request body, dropped when a redirect turns the request into a body-less GET. */
const BODY_HEADERS = [
  "content-type",
  "content-encoding",
  "content-language",
  "content-location",
  "content-length",
];

/** Credentials that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];

/** The request a redirect asks for. */
export interface RedirectedRequest {
  url: URL;
  method: string;
  headers: Headers;
  /** False when the redirect turned the request into a GET without body. */
  keepBody: boolean;
}

/** True when fetch would follow this answer (a 3xx it knows with a `Location` header). */
export function isRedirect(status: number, location: string | undefined): location is string {
  return REDIRECTS.has(status) && location !== undefined;
}

/**
 * The next request of a redirect, as fetch's "HTTP-redirect fetch" builds it: the `Location` resolved against the
 * current URL; 301/302 after a POST and 303 after anything but GET/HEAD become a GET without body (and without
 * body headers); 307/308 repeat method and body; credentials are dropped when the origin changes. A `Location`
 * that is not an http(s) URL is a `TypeError`, as in fetch.
 */
export function redirectedRequest(
  from: URL,
  status: number,
  location: string,
  method: string,
  headers: Headers,
): RedirectedRequest {
  let url: URL;
  try {
    url = new URL(location, from);
  } catch (cause) {
    throw new TypeError("fetch failed", { cause });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError("fetch failed", { cause: new Error(`redirect to a ${url.protocol} URL`) });
  }
  const next = new Headers(headers);
  let keepBody = true;
  const toGet =
    ((status === 301 || status === 302) && method === "POST") ||
    (status === 303 && method !== "GET" && method !== "HEAD");
  if (toGet) {
    method = "GET";
    keepBody = false;
    for (const name of BODY_HEADERS) next.delete(name);
  }
  if (url.origin !== from.origin) for (const name of CREDENTIAL_HEADERS) next.delete(name);
  return { url, method, headers: next, keepBody };
}
