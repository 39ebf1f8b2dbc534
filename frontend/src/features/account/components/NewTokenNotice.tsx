import type { ApiTokenCreated } from "../../../client/types.gen";
import { CopyField } from "../../../components/ui/CopyField";

/** The new token, this once (the studio keeps only its hash), with how to use it. */
export function NewTokenNotice({ token, onDismiss }: { token: ApiTokenCreated; onDismiss: () => void }) {
  const example = `curl -H "Authorization: Bearer ${token.token}" ${window.location.origin}/api/runs`;
  return (
    <div className="notice notice-success secret-notice" role="status" data-testid="new-token">
      <div className="notice-title">Token “{token.name}” created: copy it now</div>
      <p className="notice-message">
        You won't see it again: the studio stores only a hash of it. If you lose it, revoke it and create another.
      </p>
      <CopyField value={token.token} label="The new API token" testId="new-token-value" />
      <div className="secret-notice-example">
        <div className="small muted">Use it from a script or the command line:</div>
        <CopyField value={example} label="Example request" testId="new-token-curl" />
      </div>
      <button type="button" className="btn btn-sm" onClick={onDismiss} data-testid="new-token-dismiss">
        I have copied it
      </button>
    </div>
  );
}
