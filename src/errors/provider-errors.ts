import { StreamdexError } from "./streamdex-error.js";

/** What every provider error carries. */
export interface ProviderErrorInit {
  /** The provider (e.g. `"openai"`). */
  provider: string;
  /** HTTP status, when there was a response. */
  status?: number;
  /** The provider's own message (with any secret redacted). */
  providerMessage?: string;
  /** The provider's error code (e.g. `"model_not_found"`). */
  providerCode?: string;
  /** The provider's request id, for support tickets. */
  requestId?: string;
  cause?: unknown;
}

/**
 * A provider (an LLM or embedding API) refused or failed a request before it delivered anything. Subclasses
 * say why; `status`, `providerMessage` and `requestId` say what the provider said. Never contains the API key.
 */
export class ProviderError extends StreamdexError {
  readonly provider: string;
  readonly status: number | undefined;
  readonly providerMessage: string | undefined;
  readonly providerCode: string | undefined;
  readonly requestId: string | undefined;

  constructor(message: string, init: ProviderErrorInit, code = "provider_error") {
    super(message, { code, cause: init.cause });
    this.provider = init.provider;
    this.status = init.status;
    this.providerMessage = init.providerMessage;
    this.providerCode = init.providerCode;
    this.requestId = init.requestId;
  }
}

/** 401: the API key is missing, wrong or revoked. */
export class AuthenticationError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "authentication_failed");
  }
}

/** 403: the key is valid but may not use this model or resource. */
export class PermissionDeniedError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "permission_denied");
  }
}

/** 404: unknown model or endpoint (often a wrong model name or `baseURL`). */
export class ModelNotFoundError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "not_found");
  }
}

/** 400/422: the provider rejected the request itself (e.g. a prompt over the context window). */
export class BadRequestError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "bad_request");
  }
}

/** 429: rate limited or out of quota, after the retries allowed. */
export class RateLimitError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "rate_limited");
  }
}

/** 5xx: the provider failed, after the retries allowed. */
export class ProviderServerError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "provider_server_error");
  }
}

/** The provider could not be reached (refused, reset, DNS), after the retries allowed. */
export class ProviderConnectionError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "connection_failed");
  }
}

/** No response (or no next chunk) within the configured timeout. */
export class ProviderTimeoutError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "timeout");
  }
}

/** The provider answered with something that is not its documented format (non-JSON, truncated, malformed SSE). */
export class MalformedResponseError extends ProviderError {
  constructor(message: string, init: ProviderErrorInit) {
    super(message, init, "malformed_response");
  }
}

export { redact } from "./redact.js";
