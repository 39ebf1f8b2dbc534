import { useState, type SubmitEvent } from "react";
import type { ApiTokenCreate } from "../../../client/types.gen";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError } from "../../../components/ui/FormRow";
import { ApiError, fieldMessage } from "../../../lib/api";

/** Shorter is safer: a leaked token stops working on its own. "Never" is there for long-lived automation. */
const EXPIRIES: { days: number | null; label: string }[] = [
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: null, label: "Never (not recommended)" },
];

export function NewTokenForm({
  pending,
  error,
  onSubmit,
}: {
  pending: boolean;
  error: unknown;
  onSubmit: (body: ApiTokenCreate) => void;
}) {
  const [name, setName] = useState("");
  const [expiry, setExpiry] = useState("30");
  const [missing, setMissing] = useState(false);
  const apiError = error instanceof ApiError ? error : null;
  const nameError = missing ? "Name the token after what will use it." : apiError?.field === "name" ? fieldMessage(apiError) : null;

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!name.trim()) {
      setMissing(true);
      return;
    }
    onSubmit({ name: name.trim(), expires_in_days: expiry === "never" ? null : Number(expiry) });
  };

  return (
    <form className="inline-form" onSubmit={submit} noValidate data-testid="new-token-form">
      <div className="inline-form-field inline-form-grow">
        <label htmlFor="token-name">Name</label>
        <input
          id="token-name"
          className="input"
          maxLength={200}
          placeholder="e.g. CI pipeline, my laptop"
          value={name}
          aria-invalid={nameError ? true : undefined}
          onChange={(event) => {
            setName(event.target.value);
            setMissing(false);
          }}
          data-testid="token-name"
        />
        <FieldError>{nameError}</FieldError>
      </div>
      <div className="inline-form-field">
        <label htmlFor="token-expiry">Expires after</label>
        <select
          id="token-expiry"
          className="select"
          value={expiry}
          onChange={(event) => setExpiry(event.target.value)}
          data-testid="token-expiry"
        >
          {EXPIRIES.map((option) => (
            <option key={option.label} value={option.days === null ? "never" : String(option.days)}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <div className="inline-form-actions">
        <button type="submit" className="btn btn-primary" disabled={pending} data-testid="create-token">
          {pending ? "Creating…" : "Create token"}
        </button>
      </div>
      {error && !nameError ? <ErrorNotice error={error} title="The token was not created" /> : null}
    </form>
  );
}
