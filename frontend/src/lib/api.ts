/**
 * Wiring for the ONE generated API client (src/client, from openapi.json by `npm run generate-client`).
 * Every request in the app goes through it; this module only configures it and normalises errors.
 */
import { client } from "../client/client.gen";

/** Upload rejections say more: how many rows are bad/usable, or which columns the file has. */
export type ApiErrorExtra = {
  /** Rows with a problem (all of them, not only those listed in `errors`). */
  badRows?: number | null;
  /** Rows that are fine: resend with drop_invalid to keep them. */
  usableRows?: number | null;
  /** The file's columns, when the shape could not be detected and a column mapping is needed. */
  columns?: string[] | null;
};

/** An API failure with the backend's error body (ErrorBody) flattened: {detail, field, errors, ...}. */
export class ApiError extends Error {
  readonly status: number;
  /** The request field the error is about, e.g. "hyperparameters.learning_rate" (422s). */
  readonly field: string | null;
  /** Per-item details, e.g. "line 3: invalid JSON (...)". */
  readonly errors: string[];
  readonly badRows: number | null;
  readonly usableRows: number | null;
  readonly columns: string[] | null;

  constructor(
    status: number,
    detail: string,
    field: string | null = null,
    errors: string[] = [],
    extra: ApiErrorExtra = {},
  ) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
    this.errors = errors;
    this.badRows = extra.badRows ?? null;
    this.usableRows = extra.usableRows ?? null;
    this.columns = extra.columns ?? null;
  }
}

/** The message for showing next to its field: "hyperparameters.lora_r: must be ≥ 1" → "must be ≥ 1". */
export function fieldMessage(error: ApiError): string {
  return error.field ? error.message.replace(`${error.field}: `, "") : error.message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function toApiError(body: unknown, status: number, statusText = ""): ApiError {
  if (body instanceof ApiError) return body;
  if (isRecord(body)) {
    const { detail, field, errors, bad_rows: badRows, usable_rows: usableRows, columns } = body;
    if (typeof detail === "string") {
      return new ApiError(
        status,
        detail,
        typeof field === "string" ? field : null,
        Array.isArray(errors) ? errors.map(String) : [],
        {
          badRows: typeof badRows === "number" ? badRows : null,
          usableRows: typeof usableRows === "number" ? usableRows : null,
          columns: Array.isArray(columns) ? columns.map(String) : null,
        },
      );
    }
  }
  if (typeof body === "string" && body.trim()) return new ApiError(status, body.trim().slice(0, 500));
  if (body instanceof Error) return new ApiError(status, `Network error: ${body.message}`);
  return new ApiError(status, statusText || `Request failed (${status || "network error"})`);
}

let configured = false;

/** The auth routes answer 401 as part of what they do (wrong password, nobody signed in yet): not an expiry. */
function isAuthRoute(request: Request | undefined): boolean {
  if (!request) return false;
  return new URL(request.url, window.location.origin).pathname.startsWith("/api/auth/");
}

/**
 * `onUnauthorized`: called on any 401 from a resource route, i.e. the sign-in expired or was revoked while the
 * page was open. The one place that reacts to it (the app sends the user to /signin), so no page has to.
 */
export function configureApiClient({ onUnauthorized }: { onUnauthorized?: () => void } = {}): void {
  if (configured) return;
  configured = true;
  // Same origin: the API serves the built app, and Vite proxies /api in development. The session is an HttpOnly
  // cookie the browser sends by itself.
  client.setConfig({ baseUrl: "" });
  client.interceptors.error.use((error, response, request) => {
    // On a network failure there is no response, whatever the type says.
    const res = response as Response | undefined;
    const apiError = toApiError(error, res ? res.status : 0, res ? res.statusText : "");
    if (apiError.status === 401 && !isAuthRoute(request)) onUnauthorized?.();
    return apiError;
  });
}

type ProgressHandler = (loaded: number, total: number) => void;

function parseHeaders(raw: string): Headers {
  const headers = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const index = line.indexOf(":");
    if (index > 0) headers.append(line.slice(0, index).trim(), line.slice(index + 1).trim());
  }
  return headers;
}

/**
 * A `fetch` for the generated client that reports upload progress (fetch cannot).
 * `body` is sent as it is (a FormData streams the file from disk; the browser sets the boundary).
 */
export function progressFetch(body: XMLHttpRequestBodyInit, onProgress: ProgressHandler) {
  return (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const request = input instanceof Request ? input : new Request(input, init);
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      request.headers.forEach((value, key) => {
        if (key.toLowerCase() !== "content-type") xhr.setRequestHeader(key, value);
      });
      xhr.responseType = "text";
      xhr.upload.onprogress = (event) => {
        onProgress(event.loaded, event.lengthComputable ? event.total : 0);
      };
      xhr.onload = () => {
        const status = xhr.status;
        const nullBody = status === 204 || status === 205 || status === 304;
        resolve(
          new Response(nullBody ? null : xhr.responseText, {
            status,
            statusText: xhr.statusText,
            headers: parseHeaders(xhr.getAllResponseHeaders()),
          }),
        );
      };
      xhr.onerror = () => reject(new TypeError("the upload failed (connection lost or refused)"));
      xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
      if (request.signal.aborted) {
        reject(new DOMException("Upload cancelled", "AbortError"));
        return;
      }
      request.signal.addEventListener("abort", () => xhr.abort());
      xhr.send(body);
    });
}
