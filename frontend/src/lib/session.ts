/**
 * Who is signed in, for every part of the app: the shell, the pages, and the features that hide what a role may not
 * do. Sign-in, sign-up and sign-out themselves live in features/auth; they write their answer here.
 */
import { queryOptions, useQuery } from "@tanstack/react-query";
import { getAuthState, getCurrentUser } from "../client/sdk.gen";
import type { Role, UserOut } from "../client/types.gen";
import { ApiError } from "./api";

export const sessionQueries = {
  all: () => ["session"] as const,
  /** The signed-in user, or null when nobody is (a 401 here is an answer, not a failure). */
  me: () =>
    queryOptions({
      queryKey: [...sessionQueries.all(), "me"] as const,
      queryFn: async ({ signal }): Promise<UserOut | null> => {
        try {
          return (await getCurrentUser({ signal, throwOnError: true })).data;
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) return null;
          throw error;
        }
      },
      staleTime: 5 * 60_000,
    }),
  /** Before anyone signs in: is there an admin yet, may this browser create it, is sign-up open. */
  state: () =>
    queryOptions({
      queryKey: [...sessionQueries.all(), "state"] as const,
      queryFn: async ({ signal }) => (await getAuthState({ signal, throwOnError: true })).data,
      staleTime: 60_000,
    }),
};

export const ROLE_LABELS: Record<Role, string> = { admin: "Admin", member: "Member", reviewer: "Reviewer" };

export const ROLE_HELP: Record<Role, string> = {
  admin: "Everything a member can, plus users, invitations and sign-up",
  member: "Uploads datasets, launches runs, sees only their own work",
  reviewer: "Reads what is shared with them; cannot upload or launch",
};

/** The signed-in user inside the signed-in part of the app (the shell waited for it), else null. */
export function useCurrentUser(): UserOut | null {
  return useQuery(sessionQueries.me()).data ?? null;
}

/** Uploading datasets, launching runs and saving presets: admins and members, not reviewers (the API says 403). */
export function useCanCreate(): boolean {
  const user = useCurrentUser();
  return user !== null && user.role !== "reviewer";
}

export const REVIEWER_NOTE = "Reviewers cannot upload or launch: ask an admin for a member account.";
