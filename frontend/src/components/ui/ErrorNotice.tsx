import { ApiError, fieldMessage } from "../../lib/api";

/**
 * An API error as the user should read it: the field it is about (not an HTTP status), the detail, then every
 * per-item error (e.g. each bad line).
 */
export function ErrorNotice({ error, title, testId }: { error: unknown; title?: string; testId?: string }) {
  const apiError = error instanceof ApiError ? error : null;
  const message = apiError ? fieldMessage(apiError) : error instanceof Error ? error.message : String(error);
  const details = apiError?.errors ?? [];
  const MAX = 50;
  return (
    <div className="notice notice-error" role="alert" data-testid={testId ?? "error-notice"}>
      <div className="notice-title">
        {title ?? "Something went wrong"}
        {apiError?.field ? <span className="notice-status mono">{apiError.field}</span> : null}
      </div>
      <div className="notice-message">{message}</div>
      {details.length > 0 ? (
        <ul className="notice-list" data-testid="error-list">
          {details.slice(0, MAX).map((detail, index) => (
            <li key={index}>{detail}</li>
          ))}
          {details.length > MAX ? <li className="muted">…and {details.length - MAX} more</li> : null}
        </ul>
      ) : null}
    </div>
  );
}
