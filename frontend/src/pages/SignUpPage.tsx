import { useQuery } from "@tanstack/react-query";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { useSignUp } from "../features/auth/api/queries";
import { AuthScreen } from "../features/auth/components/AuthScreen";
import { CredentialsForm } from "../features/auth/components/CredentialsForm";
import { sessionQueries } from "../lib/session";

/** /signup?invitation=<secret> (an admin's link), or /signup when the admin opened sign-up to anyone. */
export function SignUpPage() {
  const [params] = useSearchParams();
  const invitation = params.get("invitation")?.trim() ?? "";
  const me = useQuery(sessionQueries.me());
  const state = useQuery(sessionQueries.state());
  const signUp = useSignUp();
  const navigate = useNavigate();

  if (me.data && !signUp.isPending && !signUp.isSuccess) {
    return (
      <AuthScreen title="You are already signed in" testId="signup-signed-in">
        <p>
          Signed in as <strong>{me.data.email}</strong>. To create another account with this link, sign out first.
        </p>
        <Link to="/" className="btn">
          Go to the studio
        </Link>
      </AuthScreen>
    );
  }
  if (me.data) return <Navigate to="/" replace />;

  const open = state.data?.open_signup ?? false;
  if (!invitation && state.isSuccess && !open) {
    return (
      <AuthScreen title="Sign-up is by invitation" testId="signup-closed">
        <p>This studio's accounts are created by its admin. Ask them for an invitation link, then open it here.</p>
        <Link to="/signin">Sign in</Link> if you already have an account.
      </AuthScreen>
    );
  }

  return (
    <AuthScreen
      title="Create your account"
      subtitle={
        invitation ? (
          <span data-testid="signup-mode">
            <span className="tag">By invitation</span> Use the email address the invitation was sent to; the role
            comes with the invitation.
          </span>
        ) : (
          <span data-testid="signup-mode">
            <span className="tag">Open sign-up</span> Anyone who reaches this studio may create a member account.
          </span>
        )
      }
      testId="signup-page"
    >
      <CredentialsForm
        kind="new"
        submitLabel="Create my account"
        pendingLabel="Creating…"
        pending={signUp.isPending}
        error={signUp.error}
        onSubmit={(credentials) =>
          signUp.mutate(
            { ...credentials, invitation: invitation || null },
            { onSuccess: () => void navigate("/", { replace: true }) },
          )
        }
        testId="signup"
        footer={
          <>
            Already have an account? <Link to="/signin">Sign in</Link>.
          </>
        }
      />
    </AuthScreen>
  );
}
