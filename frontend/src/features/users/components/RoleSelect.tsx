import type { Role } from "../../../client/types.gen";
import { ROLE_HELP, ROLE_LABELS } from "../../../lib/session";

const ROLES: Role[] = ["member", "reviewer", "admin"];

export function RoleSelect({
  id,
  value,
  disabled,
  onChange,
  testId,
  label,
}: {
  id?: string;
  value: Role;
  disabled?: boolean;
  onChange: (role: Role) => void;
  testId: string;
  label?: string;
}) {
  return (
    <select
      id={id}
      className="select"
      value={value}
      disabled={disabled}
      aria-label={label}
      title={ROLE_HELP[value]}
      onChange={(event) => onChange(event.target.value as Role)}
      data-testid={testId}
    >
      {ROLES.map((role) => (
        <option key={role} value={role} title={ROLE_HELP[role]}>
          {ROLE_LABELS[role]}
        </option>
      ))}
    </select>
  );
}
