import { useState, type SubmitEvent } from "react";
import type { Role } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError } from "../../../components/ui/FormRow";
import { ApiError, fieldMessage } from "../../../lib/api";
import { useCreateUser } from "../api/queries";
import { RoleSelect } from "./RoleSelect";

const MIN_PASSWORD_LENGTH = 8;

/** An account made by the admin, with a password to hand over (the user cannot change it yet: say so to them). */
export function AddUserForm() {
  const create = useCreateUser();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [local, setLocal] = useState<{ email?: string; password?: string }>({});
  const [added, setAdded] = useState<string | null>(null);

  const apiError = create.error instanceof ApiError ? create.error : null;
  const fieldError = (field: "email" | "password") =>
    local[field] ?? (apiError?.field === field ? fieldMessage(apiError) : null);
  const unplaced = create.error && !fieldError("email") && !fieldError("password") ? create.error : null;

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const errors: typeof local = {};
    if (!email.trim()) errors.email = "Enter the email address they will sign in with.";
    if (password.length < MIN_PASSWORD_LENGTH) errors.password = `At least ${MIN_PASSWORD_LENGTH} characters.`;
    setLocal(errors);
    if (Object.keys(errors).length > 0) return;
    create.mutate(
      { email: email.trim(), password, role },
      {
        onSuccess: (user) => {
          setAdded(user.email);
          setEmail("");
          setPassword("");
        },
      },
    );
  };

  return (
    <form className="inline-form" onSubmit={submit} noValidate data-testid="add-user-form">
      <div className="inline-form-field inline-form-grow">
        <label htmlFor="new-user-email">Email</label>
        <input
          id="new-user-email"
          className="input"
          type="email"
          autoComplete="off"
          value={email}
          aria-invalid={fieldError("email") ? true : undefined}
          onChange={(event) => {
            setEmail(event.target.value);
            setLocal({});
            setAdded(null);
            create.reset();
          }}
          data-testid="new-user-email"
        />
        <FieldError>{fieldError("email")}</FieldError>
      </div>
      <div className="inline-form-field inline-form-grow">
        <label htmlFor="new-user-password">Password</label>
        <input
          id="new-user-password"
          className="input"
          type="password"
          autoComplete="new-password"
          value={password}
          aria-invalid={fieldError("password") ? true : undefined}
          onChange={(event) => {
            setPassword(event.target.value);
            setLocal({});
            create.reset();
          }}
          data-testid="new-user-password"
        />
        <FieldError>{fieldError("password")}</FieldError>
      </div>
      <div className="inline-form-field">
        <label htmlFor="new-user-role">Role</label>
        <RoleSelect id="new-user-role" value={role} onChange={setRole} testId="new-user-role" />
      </div>
      <div className="inline-form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending} data-testid="add-user">
          {create.isPending ? "Adding…" : "Add user"}
        </button>
      </div>
      {unplaced ? <ErrorNotice error={unplaced} title="The user was not added" /> : null}
      {added ? (
        <div className="notice notice-success inline-form-wide" role="status" data-testid="user-added">
          Added {added}: give them the password through a channel you trust.
        </div>
      ) : null}
    </form>
  );
}
