import { useQuery } from "@tanstack/react-query";
import { Navigate, Outlet, useLocation } from "react-router";
import { ErrorNotice } from "../components/ui/ErrorNotice";
import { Loading } from "../components/ui/States";
import { AuthScreen } from "../features/auth/components/AuthScreen";
import { signInPath } from "../lib/next";
import { sessionQueries, useCurrentUser } from "../lib/session";
import { FirstRunPage } from "../pages/FirstRunPage";

function Unreachable({ error }: { error: unknown }) {
  return (
    <AuthScreen title="The studio's API does not answer" testId="api-unreachable">
      <ErrorNotice error={error} title="Could not reach the API" />
    </AuthScreen>
  );
}

/** Before any route: a studio without an account shows only its first-run screen. */
export function AuthGate() {
  const state = useQuery(sessionQueries.state());
  if (state.isPending) return <Loading />;
  if (state.isError) return <Unreachable error={state.error} />;
  if (state.data.needs_admin) return <FirstRunPage state={state.data} />;
  return <Outlet />;
}

/**
 * The signed-in part of the app. Nobody signed in, or the session ended while the page was open (lib/api.ts turns
 * any 401 into "no user"): to /signin, remembering the page.
 */
export function RequireUser() {
  const me = useQuery(sessionQueries.me());
  const location = useLocation();
  if (me.isPending) return <Loading />;
  if (me.isError) return <Unreachable error={me.error} />;
  if (!me.data) return <Navigate to={signInPath(location.pathname + location.search)} replace />;
  return <Outlet />;
}

/** Admin pages: the API refuses everyone else anyway; say so instead of showing a page of 403s. */
export function RequireAdmin() {
  const user = useCurrentUser();
  if (user?.role !== "admin") {
    return <ErrorNotice error={new Error("Only an admin can manage users and invitations.")} title="Admins only" />;
  }
  return <Outlet />;
}
