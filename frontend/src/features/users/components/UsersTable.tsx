import type { UserOut } from "../../../client/types.gen";
import { Toggle } from "../../../components/ui/Toggle";
import { formatDateTime, formatRelative } from "../../../lib/format";
import { useUpdateUser } from "../api/queries";
import { RoleSelect } from "./RoleSelect";

/** Every account: its role and whether it may sign in. The admin cannot demote or lock out themself here. */
export function UsersTable({ users, currentUserId }: { users: UserOut[]; currentUserId: number }) {
  const update = useUpdateUser();
  const busy = (id: number) => update.isPending && update.variables.id === id;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="users-table">
        <thead>
          <tr>
            <th>Email</th>
            <th>Role</th>
            <th>Active</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {users.map((user) => {
            const self = user.id === currentUserId;
            return (
              <tr key={user.id} data-testid="user-row" data-email={user.email}>
                <td>
                  <strong>{user.email}</strong>
                  {self ? <span className="muted small"> (you)</span> : null}
                </td>
                <td className="nowrap">
                  <RoleSelect
                    value={user.role}
                    disabled={self || busy(user.id)}
                    label={`Role of ${user.email}`}
                    onChange={(role) => update.mutate({ id: user.id, body: { role } })}
                    testId="user-role-select"
                  />
                </td>
                <td className="nowrap">
                  {self ? (
                    <span className="muted small">yes</span>
                  ) : (
                    <Toggle
                      checked={user.active}
                      onChange={(active) => update.mutate({ id: user.id, body: { active } })}
                      testId="user-active"
                    >
                      <span className="small">{user.active ? "can sign in" : "locked out"}</span>
                    </Toggle>
                  )}
                </td>
                <td className="nowrap" title={formatDateTime(user.created_at)}>
                  {formatRelative(user.created_at)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {update.isError ? (
        <div className="table-footer-error field-error" role="alert" data-testid="user-update-error">
          Not changed: {update.error.message}
        </div>
      ) : null}
    </div>
  );
}
