import { useNavigate } from "react-router";
import type { AuthState } from "../client/types.gen";
import { useCreateFirstAdmin } from "../features/auth/api/queries";
import { AuthScreen } from "../features/auth/components/AuthScreen";
import { CredentialsForm } from "../features/auth/components/CredentialsForm";

/** A studio without any account: create the admin here (loopback only), or say how the server must do it. */
export function FirstRunPage({ state }: { state: AuthState }) {
  const create = useCreateFirstAdmin();
  const navigate = useNavigate();
  if (!state.setup_allowed) {
    return (
      <AuthScreen title="This studio has no admin yet" testId="first-run-blocked">
        <p>
          The studio is served on a network address, so its first account cannot be created from a browser (anyone
          who reached it first would own it).
        </p>
        <p>
          Restart the API with <code className="mono">STUDIO_ADMIN_EMAIL</code> and{" "}
          <code className="mono">STUDIO_ADMIN_PASSWORD</code> set: it creates that admin at start. Then sign in here.
        </p>
      </AuthScreen>
    );
  }
  return (
    <AuthScreen
      title="Create the admin account"
      subtitle="The first account of this studio. The admin adds users, sends invitations and decides whether anyone may sign up."
      testId="first-run"
    >
      <CredentialsForm
        kind="new"
        submitLabel="Create the admin account"
        pendingLabel="Creating…"
        pending={create.isPending}
        error={create.error}
        onSubmit={(credentials) => create.mutate(credentials, { onSuccess: () => void navigate("/", { replace: true }) })}
        testId="setup"
      />
    </AuthScreen>
  );
}
