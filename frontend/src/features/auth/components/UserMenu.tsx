import { Link } from "react-router";
import { ErrorNotice } from "../../../components/ui/ErrorNotice";
import { ROLE_HELP, ROLE_LABELS, useCurrentUser } from "../../../lib/session";
import { useSignOut } from "../api/queries";

/** Who is signed in (email and role), their account page, and signing out. */
export function UserMenu() {
  const user = useCurrentUser();
  const signOut = useSignOut();
  if (!user) return null;
  return (
    <div className="user-menu" data-testid="user-menu">
      <Link
        to="/account"
        className="user-menu-email truncate"
        title={`${user.email}: your account and API tokens`}
        data-testid="user-email"
      >
        {user.email}
      </Link>
      <div className="user-menu-row">
        <span className={`tag tag-role-${user.role}`} title={ROLE_HELP[user.role]} data-testid="user-role">
          {ROLE_LABELS[user.role]}
        </span>
        <button
          type="button"
          className="link-button user-menu-signout"
          disabled={signOut.isPending}
          onClick={() => signOut.mutate()}
          data-testid="sign-out"
        >
          {signOut.isPending ? "Signing out…" : "Sign out"}
        </button>
      </div>
      {signOut.isError ? <ErrorNotice error={signOut.error} title="Could not sign out" /> : null}
    </div>
  );
}
