import { useState, type ReactNode, type SubmitEvent } from "react";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError } from "../../../components/ui/FormRow";
import { ApiError, fieldMessage } from "../../../lib/api";

export const MIN_PASSWORD_LENGTH = 8;

type Credentials = { email: string; password: string };

type Props = {
  /** new: a new account (setup, sign-up) with a confirmation field and the length rule; existing: sign-in. */
  kind: "new" | "existing";
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  error: unknown;
  initialEmail?: string;
  onSubmit: (credentials: Credentials) => void;
  /** Under the button: "No account? …" */
  footer?: ReactNode;
  testId: string;
};

type Field = "email" | "password" | "confirm";

function checkLocally(kind: Props["kind"], email: string, password: string, confirm: string) {
  const errors: Partial<Record<Field, string>> = {};
  if (!email.trim()) errors.email = "Enter your email address.";
  if (!password) errors.password = "Enter a password.";
  else if (kind === "new" && password.length < MIN_PASSWORD_LENGTH)
    errors.password = `At least ${MIN_PASSWORD_LENGTH} characters.`;
  if (kind === "new" && !errors.password && confirm !== password) errors.confirm = "The two passwords differ.";
  return errors;
}

/**
 * Email and password (twice for a new account). The API's error goes next to the field it names (a wrong password
 * under the password); one that names no field (too many tries, sign-up closed) above the button.
 */
export function CredentialsForm({
  kind,
  submitLabel,
  pendingLabel,
  pending,
  error,
  initialEmail = "",
  onSubmit,
  footer,
  testId,
}: Props) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [local, setLocal] = useState<Partial<Record<Field, string>>>({});
  // The server's answer is about what was sent: editing a field hides it.
  const [edited, setEdited] = useState(false);

  const apiError = error instanceof ApiError && !edited ? error : null;
  const serverField = apiError?.field === "email" || apiError?.field === "password" ? apiError.field : null;
  const fieldError = (field: Field) =>
    local[field] ?? (serverField === field && apiError ? fieldMessage(apiError) : null);
  const unplaced = error && !edited && !serverField ? error : null;

  const change = (setter: (value: string) => void) => (value: string) => {
    setter(value);
    setEdited(true);
    setLocal({});
  };

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors = checkLocally(kind, email, password, confirm);
    setLocal(errors);
    setEdited(false);
    if (Object.keys(errors).length === 0) onSubmit({ email: email.trim(), password });
  };

  const input = (field: Field, label: string, value: string, setter: (value: string) => void, type: string) => (
    <div className="auth-field">
      <label htmlFor={`${testId}-${field}`}>{label}</label>
      <input
        id={`${testId}-${field}`}
        className="input"
        type={type}
        value={value}
        autoComplete={
          field === "email" ? "username" : kind === "new" ? "new-password" : "current-password"
        }
        aria-invalid={fieldError(field) ? true : undefined}
        onChange={(event) => change(setter)(event.target.value)}
        data-testid={`${testId}-${field}`}
      />
      <FieldError testId={`${testId}-${field}-error`}>{fieldError(field)}</FieldError>
    </div>
  );

  return (
    <form className="auth-form" onSubmit={submit} noValidate data-testid={testId}>
      {input("email", "Email", email, setEmail, "email")}
      {input("password", "Password", password, setPassword, "password")}
      {kind === "new" ? (
        <>
          <div className="hint auth-hint">At least {MIN_PASSWORD_LENGTH} characters; a passphrase is best.</div>
          {input("confirm", "Confirm password", confirm, setConfirm, "password")}
        </>
      ) : null}
      {unplaced ? <ErrorNotice error={unplaced} title={`${submitLabel}: not done`} testId={`${testId}-error`} /> : null}
      <button type="submit" className="btn btn-primary auth-submit" disabled={pending} data-testid={`${testId}-submit`}>
        {pending ? pendingLabel : submitLabel}
      </button>
      {footer ? <div className="auth-footer">{footer}</div> : null}
    </form>
  );
}
