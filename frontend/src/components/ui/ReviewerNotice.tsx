import { REVIEWER_NOTE } from "../../lib/session";

/** In place of an action a reviewer may not take (the API would answer 403). */
export function ReviewerNotice({ what }: { what: string }) {
  return (
    <div className="notice" role="note" data-testid="reviewer-notice">
      <div className="notice-title">{what}</div>
      <div className="notice-message muted">{REVIEWER_NOTE}</div>
    </div>
  );
}
