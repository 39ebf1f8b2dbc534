import type { ApiTokenOut } from "../../../client/types.gen";
import { formatDateTime, formatRelative, parseApiDate } from "../../../lib/format";
import { useNow } from "../../../lib/useNow";

type Status = { label: string; className: string };

function tokenStatus(token: ApiTokenOut, now: number): Status {
  if (token.revoked_at) return { label: "Revoked", className: "badge-failed" };
  if (token.expires_at && parseApiDate(token.expires_at).getTime() <= now) {
    return { label: "Expired", className: "badge-cancelled" };
  }
  return { label: "Active", className: "badge-succeeded" };
}

export function TokensTable({
  tokens,
  revokingId,
  onRevoke,
}: {
  tokens: ApiTokenOut[];
  revokingId: number | null;
  onRevoke: (token: ApiTokenOut) => void;
}) {
  // Expiry is shown as it happens: re-read the clock every minute.
  const now = useNow(true, 60_000);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="tokens-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Token starts with</th>
            <th>Status</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => {
            const status = tokenStatus(token, now);
            return (
              <tr key={token.id} data-testid="token-row" data-token-id={token.id}>
                <td>
                  <strong>{token.name}</strong>
                </td>
                <td className="nowrap">
                  <span className="mono small">{token.prefix}…</span>
                </td>
                <td className="nowrap">
                  <span className={`badge ${status.className}`} data-testid="token-status">
                    {status.label}
                  </span>
                </td>
                <td className="nowrap" title={formatDateTime(token.created_at)}>
                  {formatRelative(token.created_at)}
                </td>
                <td className="nowrap" title={formatDateTime(token.expires_at)}>
                  {token.expires_at ? formatDateTime(token.expires_at) : "never"}
                </td>
                <td className="nowrap" title={formatDateTime(token.last_used_at)}>
                  {token.last_used_at ? formatRelative(token.last_used_at) : "never"}
                </td>
                <td className="num nowrap">
                  {status.label === "Active" ? (
                    <button
                      type="button"
                      className="btn btn-sm btn-danger"
                      disabled={revokingId === token.id}
                      onClick={() => onRevoke(token)}
                      data-testid="revoke-token"
                    >
                      {revokingId === token.id ? "Revoking…" : "Revoke"}
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
