import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Compares digests in constant time, so the
 * comparison leaks neither the token nor its length.
 */
export function hasBearerToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!), digest(token));
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
