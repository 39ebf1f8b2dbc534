import { useQuery } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import type { InvitationCreated, InvitationOut, Role } from "../../../client/types.gen";
import { CopyField } from "../../../components/ui/CopyField";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { FieldError } from "../../../components/ui/FormRow";
import { EmptyState, Loading } from "../../../components/ui/States";
import { ApiError, fieldMessage } from "../../../lib/api";
import { formatDateTime, formatRelative, parseApiDate } from "../../../lib/format";
import { ROLE_LABELS } from "../../../lib/session";
import { useNow } from "../../../lib/useNow";
import { userQueries, useCreateInvitation, useWithdrawInvitation } from "../api/queries";
import { RoleSelect } from "./RoleSelect";

const EXPIRY_DAYS = [1, 7, 30, 90];

function invitationLink(secret: string): string {
  return `${window.location.origin}/signup?invitation=${encodeURIComponent(secret)}`;
}

function invitationStatus(invitation: InvitationOut, now: number): { label: string; className: string } {
  if (invitation.accepted_at) return { label: "Accepted", className: "badge-succeeded" };
  if (parseApiDate(invitation.expires_at).getTime() <= now) return { label: "Expired", className: "badge-cancelled" };
  return { label: "Pending", className: "badge-running" };
}

function InvitationForm({ onCreated }: { onCreated: (invitation: InvitationCreated) => void }) {
  const create = useCreateInvitation();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [days, setDays] = useState(7);
  const [missing, setMissing] = useState(false);
  const apiError = create.error instanceof ApiError ? create.error : null;
  const emailError = missing
    ? "Enter the email address the invitation is for."
    : apiError?.field === "email"
      ? fieldMessage(apiError)
      : null;

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!email.trim()) {
      setMissing(true);
      return;
    }
    create.mutate(
      { email: email.trim(), role, expires_in_days: days },
      {
        onSuccess: (invitation) => {
          onCreated(invitation);
          setEmail("");
        },
      },
    );
  };

  return (
    <form className="inline-form" onSubmit={submit} noValidate data-testid="invitation-form">
      <div className="inline-form-field inline-form-grow">
        <label htmlFor="invitation-email">Email</label>
        <input
          id="invitation-email"
          className="input"
          type="email"
          autoComplete="off"
          value={email}
          aria-invalid={emailError ? true : undefined}
          onChange={(event) => {
            setEmail(event.target.value);
            setMissing(false);
            create.reset();
          }}
          data-testid="invitation-email"
        />
        <FieldError>{emailError}</FieldError>
      </div>
      <div className="inline-form-field">
        <label htmlFor="invitation-role">Role</label>
        <RoleSelect id="invitation-role" value={role} onChange={setRole} testId="invitation-role" />
      </div>
      <div className="inline-form-field">
        <label htmlFor="invitation-days">Valid for</label>
        <select
          id="invitation-days"
          className="select"
          value={days}
          onChange={(event) => setDays(Number(event.target.value))}
          data-testid="invitation-days"
        >
          {EXPIRY_DAYS.map((value) => (
            <option key={value} value={value}>
              {value === 1 ? "1 day" : `${value} days`}
            </option>
          ))}
        </select>
      </div>
      <div className="inline-form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending} data-testid="create-invitation">
          {create.isPending ? "Creating…" : "Create invitation"}
        </button>
      </div>
      {create.error && !emailError ? (
        <ErrorNotice error={create.error} title="The invitation was not created" />
      ) : null}
    </form>
  );
}

/** Invite by link: create one (its link shown this once), see who accepted, withdraw what is still pending. */
export function Invitations() {
  const invitations = useQuery(userQueries.invitations());
  const withdraw = useWithdrawInvitation();
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const now = useNow(true, 60_000);

  return (
    <>
      <InvitationForm onCreated={setCreated} />
      {created ? (
        <div className="notice notice-success secret-notice" role="status" data-testid="invitation-created">
          <div className="notice-title">
            Invitation for {created.email} ({ROLE_LABELS[created.role]}): send them this link
          </div>
          <p className="notice-message">
            You won't see it again. It works once, for that email address, until{" "}
            {formatDateTime(created.expires_at)}.
          </p>
          <CopyField value={invitationLink(created.secret)} label="Invitation link" testId="invitation-link" />
          <button type="button" className="btn btn-sm" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      ) : null}
      {withdraw.isError ? <ErrorNotice error={withdraw.error} title="The invitation was not withdrawn" /> : null}
      {invitations.isError ? (
        <ErrorNotice error={invitations.error} title="Could not load invitations" />
      ) : !invitations.data ? (
        <Loading />
      ) : invitations.data.items.length === 0 ? (
        <EmptyState title="No invitations yet" />
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="invitations-table">
            <thead>
              <tr>
                <th>Email</th>
                <th>Role</th>
                <th>Status</th>
                <th>Sent</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {invitations.data.items.map((invitation) => {
                const status = invitationStatus(invitation, now);
                return (
                  <tr key={invitation.id} data-testid="invitation-row" data-email={invitation.email}>
                    <td>{invitation.email}</td>
                    <td className="nowrap">{ROLE_LABELS[invitation.role]}</td>
                    <td className="nowrap">
                      <span className={`badge ${status.className}`} data-testid="invitation-status">
                        {status.label}
                      </span>
                    </td>
                    <td className="nowrap" title={formatDateTime(invitation.created_at)}>
                      {formatRelative(invitation.created_at)}
                    </td>
                    <td className="nowrap">{formatDateTime(invitation.expires_at)}</td>
                    <td className="num nowrap">
                      {status.label === "Pending" ? (
                        <button
                          type="button"
                          className="btn btn-sm"
                          disabled={withdraw.isPending && withdraw.variables === invitation.id}
                          onClick={() => {
                            if (window.confirm(`Withdraw the invitation for ${invitation.email}? Its link stops working.`))
                              withdraw.mutate(invitation.id);
                          }}
                          data-testid="withdraw-invitation"
                        >
                          Withdraw
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
