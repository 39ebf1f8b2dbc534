import { useQuery } from "@tanstack/react-query";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router";
import { useSignIn } from "../features/auth/api/queries";
import { AuthScreen } from "../features/auth/components/AuthScreen";
import { CredentialsForm } from "../features/auth/components/CredentialsForm";
import { safeNext } from "../lib/next";
import { sessionQueries } from "../lib/session";

/** /signin?next=/runs/3: back to the page the user wanted once signed in. */
export function SignInPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const me = useQuery(sessionQueries.me());
  const state = useQuery(sessionQueries.state());
  const signIn = useSignIn();
  const navigate = useNavigate();

  if (me.data && !signIn.isPending) return <Navigate to={next} replace />;

  return (
    <AuthScreen
      title="Sign in"
      subtitle={next === "/" ? undefined : "Sign in to continue where you were."}
      testId="signin-page"
    >
      <CredentialsForm
        kind="existing"
        submitLabel="Sign in"
        pendingLabel="Signing in…"
        pending={signIn.isPending}
        error={signIn.error}
        onSubmit={(credentials) => signIn.mutate(credentials, { onSuccess: () => void navigate(next, { replace: true }) })}
        testId="signin"
        footer={
          state.data?.open_signup ? (
            <>
              No account? <Link to="/signup">Create one</Link>.
            </>
          ) : (
            "No account? Ask the studio's admin for an invitation link."
          )
        }
      />
    </AuthScreen>
  );
}
